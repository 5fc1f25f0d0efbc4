package io.logkv.mirror;

import io.logkv.writer.TruthCompaction;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.logkv.writer.UnsafeTruthTopicException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
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

    /** The source topic's partition count. */
    int sourcePartitions(String topic) {
        TopicDescription description = await(source.describeTopics(List.of(topic)).allTopicNames(), "describe " + topic).get(topic);
        return description.partitions().size();
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
        Map<TopicPartition, OffsetSpec> latest = java.util.stream.IntStream.range(0, partitions).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition(topic, p), p -> OffsetSpec.latest()));
        return await(target.listOffsets(latest).all(), "read the end offsets of " + topic).values().stream()
                .anyMatch(info -> info.offset() > 0);
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
