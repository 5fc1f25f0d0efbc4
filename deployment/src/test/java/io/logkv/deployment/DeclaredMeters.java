package io.logkv.deployment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code logkv.*} Micrometer meters the node's modules register, found in their sources, and named as
 * Prometheus names them: each is registered in a real {@link PrometheusMeterRegistry} and scraped, so the
 * suffixes ({@code _total}, {@code _seconds_bucket}) are Micrometer's own. Meters registered only in some
 * states (a rebuild's gauges appear with the first rebuild) are missing from a fresh node's scrape.
 */
final class DeclaredMeters {

    /** The modules whose code runs in a node. */
    static final List<String> NODE_MODULES = List.of("core", "log-writer", "materializer", "query-service");

    private static final Pattern BUILDER = Pattern.compile(
            "\\b(Timer|Counter|Gauge|DistributionSummary)\\.builder\\(\\s*\"(logkv\\.[a-z0-9._]+)\"");
    private static final Pattern SHORTHAND = Pattern.compile(
            "\\.(gauge|counter|timer|summary)\\(\\s*\"(logkv\\.[a-z0-9._]+)\"");

    private DeclaredMeters() {
    }

    static Set<String> prometheusNames() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (String module : NODE_MODULES) {
            Path sources = RepositoryFiles.path(module + "/src/main/java");
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    register(Files.readString(file), registry);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return ExportedMetrics.sampleNames(registry.scrape());
    }

    static void register(String source, PrometheusMeterRegistry registry) {
        Matcher builder = BUILDER.matcher(source);
        while (builder.find()) {
            String name = builder.group(2);
            int end = source.indexOf("register(", builder.end());
            String chain = end < 0 ? "" : source.substring(builder.end(), end);
            boolean histogram = chain.contains("publishPercentileHistogram") || chain.contains("serviceLevelObjectives");
            switch (builder.group(1)) {
                case "Timer" -> Timer.builder(name).publishPercentileHistogram(histogram).register(registry);
                case "DistributionSummary" -> DistributionSummary.builder(name).publishPercentileHistogram(histogram).register(registry);
                case "Counter" -> Counter.builder(name).register(registry);
                default -> Gauge.builder(name, () -> 0).register(registry);
            }
        }
        Matcher shorthand = SHORTHAND.matcher(source);
        while (shorthand.find()) {
            String name = shorthand.group(2);
            switch (shorthand.group(1)) {
                case "timer" -> registry.timer(name);
                case "summary" -> registry.summary(name);
                case "counter" -> registry.counter(name);
                default -> Gauge.builder(name, () -> 0).register(registry);
            }
        }
    }
}
