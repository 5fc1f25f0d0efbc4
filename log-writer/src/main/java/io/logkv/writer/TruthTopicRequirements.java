package io.logkv.writer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The settings without which a truth topic could lose an acknowledged write, and the check of a topic
 * against them. LogKV creates truth topics this way and refuses to serve from one that is not.
 *
 * @param replicationFactor  replicas per partition (at least 3)
 * @param minInSyncReplicas  replicas that must have a write before it is acknowledged (at least 2)
 * @param maxMessageBytes    the topic's {@code max.message.bytes}: room for the largest value and its envelope
 * @param compaction         how the log cleaner treats the topic (set at creation)
 */
public record TruthTopicRequirements(int replicationFactor, int minInSyncReplicas, int maxMessageBytes, TruthCompaction compaction) {

    /** The floor set by the architecture: below it one broker loss can lose acknowledged writes. */
    public static final int MIN_REPLICATION_FACTOR = 3;
    public static final int MIN_IN_SYNC_REPLICAS = 2;

    public TruthTopicRequirements {
        if (replicationFactor < MIN_REPLICATION_FACTOR || minInSyncReplicas < MIN_IN_SYNC_REPLICAS
                || minInSyncReplicas >= replicationFactor + 1) {
            throw new IllegalArgumentException("truth topics need replication factor >= 3 and 2 <= min.insync.replicas <= replication factor");
        }
    }

    /** Requirements with the default compaction settings. */
    public TruthTopicRequirements(int replicationFactor, int minInSyncReplicas, int maxMessageBytes) {
        this(replicationFactor, minInSyncReplicas, maxMessageBytes, TruthCompaction.DEFAULT);
    }

    /** The topic configuration LogKV creates truth topics with. */
    public Map<String, String> topicConfig() {
        return Map.of(
                "cleanup.policy", "compact",
                "min.insync.replicas", Integer.toString(minInSyncReplicas),
                "unclean.leader.election.enable", "false",
                "max.message.bytes", Integer.toString(maxMessageBytes),
                "delete.retention.ms", Long.toString(compaction.tombstoneRetention().toMillis()),
                "segment.ms", Long.toString(compaction.segmentAge().toMillis()),
                "min.compaction.lag.ms", Long.toString(compaction.minCompactionLag().toMillis()));
    }

    /**
     * The configuration of ingest and dead-letter topics: queues, not truth (deleted by age, 7 days), but
     * replicated as safely, because an acknowledged produce to them must not be lost either.
     */
    public Map<String, String> queueTopicConfig() {
        return Map.of(
                "cleanup.policy", "delete",
                "retention.ms", Long.toString(java.time.Duration.ofDays(7).toMillis()),
                "min.insync.replicas", Integer.toString(minInSyncReplicas),
                "unclean.leader.election.enable", "false",
                "max.message.bytes", Integer.toString(maxMessageBytes));
    }

    /**
     * What is wrong with a topic, in words an operator can act on; empty when it is safe.
     *
     * @param topic               the topic's name
     * @param replicasByPartition the replica count of each partition
     * @param config              the topic's effective configuration
     */
    public List<String> violations(String topic, List<Integer> replicasByPartition, Map<String, String> config) {
        List<String> problems = new ArrayList<>();
        for (int p = 0; p < replicasByPartition.size(); p++) {
            if (replicasByPartition.get(p) < replicationFactor) {
                problems.add(topic + "-" + p + " has " + replicasByPartition.get(p) + " replicas; at least " + replicationFactor + " are required");
            }
        }
        int minIsr = parseInt(config.get("min.insync.replicas"));
        if (minIsr < minInSyncReplicas) {
            problems.add(topic + " has min.insync.replicas=" + config.get("min.insync.replicas") + "; at least " + minInSyncReplicas + " is required");
        }
        if (!"false".equalsIgnoreCase(config.get("unclean.leader.election.enable"))) {
            problems.add(topic + " allows unclean leader election; it must be false");
        }
        String cleanup = config.getOrDefault("cleanup.policy", "");
        if (!cleanup.contains("compact") || cleanup.contains("delete")) {
            problems.add(topic + " has cleanup.policy=" + cleanup + "; it must be compact (deletion by time would drop live keys)");
        }
        return problems;
    }

    private static int parseInt(String value) {
        try {
            return value == null ? 0 : Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
