package io.logkv.mirror;

import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.TruthCompaction;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.logkv.writer.UnsafeTruthTopicException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The truth topics of the target region that the mirror writes into: created as the source's are (replication
 * factor 3, {@code min.insync.replicas=2}, compacted, the same partition count and cleaner settings, room
 * for the mirror's headers), and checked before every (re)start, so that a record always lands in the
 * partition of the same number.
 */
final class TargetTopics {

    /** Room in the target's {@code max.message.bytes} for the headers the mirror adds. */
    static final int HEADER_ROOM_BYTES = 1024;

    private final Admin source;
    private final Admin target;
    private final Duration timeout;

    TargetTopics(Admin source, Admin target, Duration timeout) {
        this.source = source;
        this.target = target;
        this.timeout = timeout;
    }

    /**
     * The topics of the cluster {@code admin} reaches as the mirror creates its own (positions, incarnations, the
     * registry of a copy): replicated and compacted like a truth topic, records up to 1 MB.
     */
    static TruthTopics ownTopics(Admin admin, Duration timeout) {
        return new TruthTopics(admin, new TruthTopicRequirements(TruthTopicRequirements.MIN_REPLICATION_FACTOR,
                TruthTopicRequirements.MIN_IN_SYNC_REPLICAS, 1024 * 1024), timeout);
    }

    /**
     * The source topic as it is now.
     *
     * @param id         its Kafka topic id: another one for a topic of the same name deleted and created again
     * @param partitions its partition count
     */
    record SourceTopic(Uuid id, int partitions) {
    }

    /** The source topic's id and partition count. */
    SourceTopic sourceTopic(String topic) {
        TopicDescription description = await(source.describeTopics(List.of(topic)).allTopicNames(), "describe " + topic).get(topic);
        return new SourceTopic(description.topicId(), description.partitions().size());
    }

    /** The topic ids of those of {@code topics} the source describes now (a topic deleted meanwhile is left out). */
    Map<String, Uuid> sourceTopicIds(Collection<String> topics) {
        Map<String, Uuid> ids = new HashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        source.describeTopics(topics).topicNameValues().forEach((topic, described) -> {
            try {
                Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                ids.put(topic, AdminCalls.await(described, "describe " + topic, left).topicId());
            } catch (KafkaUnavailableException e) {
                // gone or unreachable: the next rescan asks again
            }
        });
        return ids;
    }

    /** The end (high watermark) of each of the source topic's partitions. */
    Map<Integer, Long> sourceEnds(String topic, int partitions) {
        return ends(source, topic, partitions);
    }

    /**
     * Deletes the target topic and returns once the target cluster no longer describes it (bounded by the timeout), so
     * that the topic created after it is a new one.
     */
    void delete(String topic) throws InterruptedException {
        TruthTopics topics = ownTopics(target, timeout);
        topics.delete(topic);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (topics.describe(topic).isPresent()) {
            if (System.nanoTime() > deadline) {
                throw new KafkaUnavailableException("topic " + topic + " was still described " + timeout.toMillis()
                        + " ms after its deletion", null);
            }
            Thread.sleep(100);
        }
    }

    /**
     * Makes sure the target topic exists with {@code partitions} partitions and safe settings.
     *
     * @param claimed whether this mirror has committed positions for the topic already: a topic it has not
     *                claimed must hold no records, or it is some other writer's (a namespace whose home is
     *                the target region, or another source's mirror), and the mirror refuses to mix into it
     * @throws MirrorRefusedException when the target topic cannot receive the source's records
     */
    void prepare(String topic, int partitions, boolean claimed) {
        Map<String, String> sourceConfig = config(source, topic);
        TruthTopicRequirements requirements = new TruthTopicRequirements(TruthTopicRequirements.MIN_REPLICATION_FACTOR,
                TruthTopicRequirements.MIN_IN_SYNC_REPLICAS,
                Integer.parseInt(sourceConfig.getOrDefault("max.message.bytes", "1048588")) + HEADER_ROOM_BYTES,
                new TruthCompaction(millis(sourceConfig, "delete.retention.ms", TruthCompaction.DEFAULT.tombstoneRetention()),
                        millis(sourceConfig, "segment.ms", TruthCompaction.DEFAULT.segmentAge()),
                        millis(sourceConfig, "min.compaction.lag.ms", TruthCompaction.DEFAULT.minCompactionLag())));
        TruthTopics truthTopics = new TruthTopics(target, requirements, timeout);
        int existing = truthTopics.describe(topic).map(description -> description.partitions().size()).orElse(partitions);
        if (existing != partitions) {
            throw new MirrorRefusedException(topic + " has " + existing + " partitions in the target region and " + partitions
                    + " in the source; a record must keep its partition, so it is not mirrored");
        }
        try {
            truthTopics.ensure(topic, partitions);
        } catch (UnsafeTruthTopicException e) {
            throw new MirrorRefusedException(e.getMessage());
        }
        if (!claimed && holdsRecords(topic, partitions)) {
            throw new MirrorRefusedException(topic + " already holds records in the target region that this mirror did not write"
                    + " (a namespace whose home is the target region, or another source's mirror); it is not mirrored");
        }
    }

    private boolean holdsRecords(String topic, int partitions) {
        return ends(target, topic, partitions).values().stream().anyMatch(end -> end > 0);
    }

    private Map<Integer, Long> ends(Admin admin, String topic, int partitions) {
        Map<TopicPartition, OffsetSpec> latest = java.util.stream.IntStream.range(0, partitions).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition(topic, p), p -> OffsetSpec.latest()));
        return await(admin.listOffsets(latest).all(), "read the end offsets of " + topic).entrySet().stream()
                .collect(Collectors.toMap(entry -> entry.getKey().partition(), entry -> entry.getValue().offset()));
    }

    private Map<String, String> config(Admin admin, String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = await(admin.describeConfigs(List.of(resource)).all(), "read the configuration of " + topic).get(resource);
        return config.entries().stream().filter(entry -> entry.value() != null)
                .collect(Collectors.toMap(entry -> entry.name(), entry -> entry.value(), (a, b) -> a));
    }

    private static Duration millis(Map<String, String> config, String name, Duration otherwise) {
        return java.util.Optional.ofNullable(config.get(name)).map(Long::parseLong).map(Duration::ofMillis).orElse(otherwise);
    }

    private <T> T await(KafkaFuture<T> call, String what) {
        return AdminCalls.await(call, what, timeout);
    }
}
