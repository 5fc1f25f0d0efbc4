package io.logkv.deployment;

import io.logkv.query.config.LogKvProperties;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Whether settings given to a node name real {@code logkv.*} properties with valid values. The judge is the
 * node's own {@link LogKvProperties}, bound the way Spring Boot binds it, but refusing unknown names (a
 * typo in a deployment file is otherwise silently ignored and the default applies).
 */
final class NodeProperties {

    private static final String PREFIX = "logkv";

    private NodeProperties() {
    }

    /** Problems of environment variables ({@code LOGKV_WRITER_SESSIONTIMEOUT=5s}); empty when all bind. */
    static List<String> problemsOfEnvironment(Map<String, ?> environment) {
        Map<String, Object> variables = new LinkedHashMap<>(environment);
        return problems(ConfigurationPropertySources.from(environmentSource(variables)));
    }

    /** Problems of properties given by name ({@code logkv.writer.session-timeout=5s}), as in a YAML file or arguments. */
    static List<String> problemsOfProperties(Map<String, ?> properties) {
        return problems(List.of(new MapConfigurationPropertySource(properties)));
    }

    /** Problems of Spring arguments ({@code --logkv.writer.session-timeout=5s}); other arguments are ignored here. */
    static List<String> problemsOfArguments(List<String> arguments) {
        return problemsOfProperties(SpringArguments.properties(arguments));
    }

    /** The node's properties as these environment variables (over the defaults) make them. */
    static LogKvProperties bindEnvironment(Map<String, ?> environment) {
        Map<String, Object> variables = new LinkedHashMap<>(environment);
        return new Binder(ConfigurationPropertySources.from(environmentSource(variables)))
                .bindOrCreate(PREFIX, Bindable.of(LogKvProperties.class));
    }

    /** The {@code logkv.*} (and other) property names the environment variables set, among {@code candidates}. */
    static Set<String> setByEnvironment(Map<String, ?> environment, Set<String> candidates) {
        Map<String, Object> variables = new LinkedHashMap<>(environment);
        Set<String> set = new TreeSet<>();
        for (ConfigurationPropertySource source
                : ConfigurationPropertySources.from(environmentSource(variables))) {
            for (String candidate : candidates) {
                if (source.getConfigurationProperty(ConfigurationPropertyName.of(candidate)) != null) {
                    set.add(candidate);
                }
            }
        }
        return set;
    }

    /**
     * The properties {@code bin/logkv node} sets from its own options, read from the options table of
     * docs/configuration.md ("bin/logkv node"): command-line arguments, which win over any environment
     * variable or configuration file naming the same property.
     */
    static Set<String> setByNodeOptions() {
        String doc = RepositoryFiles.read("docs/configuration.md");
        int section = doc.indexOf("## bin/logkv node");
        if (section < 0) {
            throw new AssertionError("docs/configuration.md has no '## bin/logkv node' section");
        }
        Set<String> properties = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `--[a-z-]+[^|]*\\|[^|]*\\| `([a-z][a-z0-9.-]+)` \\|").matcher(doc.substring(section));
        while (row.find()) {
            properties.add(row.group(1));
        }
        return properties;
    }

    /** Named as the system environment is, so that Spring maps LOGKV_A_B to logkv.a.b as it does for a real one. */
    private static SystemEnvironmentPropertySource environmentSource(Map<String, Object> variables) {
        return new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables);
    }

    private static List<String> problems(Iterable<ConfigurationPropertySource> sources) {
        try {
            new Binder(sources).bind(PREFIX, Bindable.of(LogKvProperties.class),
                    new NoUnboundElementsBindHandler(BindHandler.DEFAULT));
            return List.of();
        } catch (BindException e) {
            List<String> problems = new ArrayList<>();
            if (e.getCause() instanceof UnboundConfigurationPropertiesException unbound) {
                unbound.getUnboundProperties().forEach(property -> problems.add(
                        property.getName() + " (" + property.getOrigin() + ") is not a property of LogKvProperties"));
            } else {
                problems.add(e.getMessage() + ": " + e.getCause());
            }
            return problems;
        }
    }
}
