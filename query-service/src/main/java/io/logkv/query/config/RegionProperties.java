package io.logkv.query.config;

import io.logkv.core.RegionName;
import java.util.Map;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.region.*} properties: the region this node belongs to, and where other regions' nodes are.
 *
 * @param name               this node's region (its Kafka cluster and the nodes on it): 1 to 64 of
 *                           {@code [A-Za-z0-9_-]}, the name mirrors use for it; empty for a single region.
 *                           Every node of a region names it alike; tokens carry it with their positions
 * @param urls               where each other region's nodes are reached (any node there), by region name: named
 *                           in the problem that refuses a write to a namespace whose home is that region, and
 *                           where such a write is forwarded with {@code forwardWrites}
 * @param forwardWrites      whether a write to a namespace whose home is another region is forwarded to that
 *                           region (its URL in {@code urls}) and answered with the home region's answer, instead of
 *                           refused with {@code 421 not-home-region}
 */
public record RegionProperties(
        @DefaultValue("") String name,
        @DefaultValue Map<String, String> urls,
        @DefaultValue("false") boolean forwardWrites) {

    /** The region's name, or null when the node's region has none. */
    public RegionName regionName() {
        return name.isBlank() ? null : new RegionName(name.strip());
    }
}
