package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.truth.*} properties: how truth topics are created and checked.
 *
 * @param replicationFactor replicas of each truth partition (at least 3)
 * @param minInsyncReplicas replicas that must hold a write before it is acknowledged (at least 2)
 * @param tombstoneRetention {@code delete.retention.ms} of new truth topics: how long the cleaner keeps a
 *                          tombstone; must exceed {@code logkv.replicas.max-resume-age}
 * @param segmentAge        {@code segment.ms} of new truth topics: a segment becomes cleanable this long
 *                          after its first record at the latest
 * @param minCompactionLag  {@code min.compaction.lag.ms} of new truth topics
 * @param healthInterval    how often a node reads its truth topics' bytes, records and retention from Kafka
 */
public record TruthTopicProperties(
        @DefaultValue("3") int replicationFactor,
        @DefaultValue("2") int minInsyncReplicas,
        @DefaultValue("24h") Duration tombstoneRetention,
        @DefaultValue("6h") Duration segmentAge,
        @DefaultValue("0s") Duration minCompactionLag,
        @DefaultValue("1m") Duration healthInterval) {
}
