package io.logkv.query.config;

import java.util.List;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.namespaces.*} properties: namespaces every node makes sure exist at start.
 *
 * @param bootstrap         namespaces created at start when missing
 * @param defaultPartitions partitions of a namespace created without a count
 */
public record StartupNamespaces(
        @DefaultValue("default") List<String> bootstrap,
        @DefaultValue("6") int defaultPartitions) {
}
