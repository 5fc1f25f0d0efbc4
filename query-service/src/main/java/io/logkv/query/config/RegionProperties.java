package io.logkv.query.config;

import io.logkv.core.RegionName;
import java.time.Duration;
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
 * @param leaseViewStaleness how old this node's view of the namespace registry may be when it acknowledges a write
 *                           (ADR 0020, "Home leases"): the node asks for the registry's end every second (or every
 *                           quarter of this, if shorter); while it has not read up to an end asked for within this time,
 *                           writes to any namespace wait (unsent) within their deadlines. Shorter than the mirrors' {@code --home-lease-ms}:
 *                           a lease granted for no longer makes the node refuse that namespace's writes
 */
public record RegionProperties(
        @DefaultValue("") String name,
        @DefaultValue Map<String, String> urls,
        @DefaultValue("false") boolean forwardWrites,
        @DefaultValue("15s") Duration leaseViewStaleness) {

    /** The region's name, or null when the node's region has none. */
    public RegionName regionName() {
        return name.isBlank() ? null : new RegionName(name.strip());
    }
}
