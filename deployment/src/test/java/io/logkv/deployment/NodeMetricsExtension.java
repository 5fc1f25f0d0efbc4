package io.logkv.deployment;

import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the {@link ExportedMetrics} of a node, computed once per test run (a live node takes seconds
 * to start) and shared by every class that asks for it.
 */
final class NodeMetricsExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ExportedMetrics.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(NodeMetricsExtension.class))
                .computeIfAbsent(ExportedMetrics.class, key -> measure(), ExportedMetrics.class);
    }

    private static ExportedMetrics measure() {
        try {
            List<String> springArguments = ComposeFile.load().node("logkv-1").springArguments();
            return new ExportedMetrics(LiveNodeScrape.scrape(springArguments), DeclaredMeters.prometheusNames());
        } catch (Exception e) {
            throw new IllegalStateException("could not scrape a live node", e);
        }
    }
}
