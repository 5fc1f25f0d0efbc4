package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.compactor.*} properties: expiry through the log.
 *
 * @param expiryEnabled     whether this node writes tombstones for the expired keys of the partitions it owns
 * @param scanInterval      time between two passes over the owned replicas' expiry indexes
 * @param expiriesPerSecond expiry tombstones this node writes per second at most (expired keys read as 404
 *                          before their tombstone, so a backlog costs space, not correctness)
 * @param writeTimeout      how long a pass waits for its tombstones to be committed and applied
 */
public record CompactorProperties(
        @DefaultValue("true") boolean expiryEnabled,
        @DefaultValue("1s") Duration scanInterval,
        @DefaultValue("1000") int expiriesPerSecond,
        @DefaultValue("10s") Duration writeTimeout) {
}
