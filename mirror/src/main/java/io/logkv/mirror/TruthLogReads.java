package io.logkv.mirror;

import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A namespace's truth log as a promotion measures it: where each partition ends, in either region, and how many
 * committed records of the old home's log lie beyond what the new home received.
 */
final class TruthLogReads {

    private final MirrorSettings settings;
    private final NamespaceName namespace;

    TruthLogReads(MirrorSettings settings, NamespaceName namespace) {
        this.settings = settings;
        this.namespace = namespace;
    }

    /** The end (high watermark) of each of the namespace's truth partitions in the cluster {@code admin} reaches. */
    Map<Integer, Long> ends(Admin admin, int partitions) {
        Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, partitions).boxed()
                .collect(Collectors.toMap(namespace::truthPartition, p -> OffsetSpec.latest()));
        Map<Integer, Long> ends = new TreeMap<>();
        AdminCalls.await(admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all(),
                "read the ends of " + namespace.truthTopic(), settings.kafkaTimeout())
                .forEach((partition, info) -> ends.put(partition.partition(), info.offset()));
        return ends;
    }

    /**
     * The committed records of the old home's log from {@code from} up to {@code ends}, counted by partition (those
     * with none left out): what the new home never received. Aborted transactions and markers are not counted.
     */
    Map<Integer, Long> recordsBetween(Map<Integer, Long> from, Map<Integer, Long> ends) {
        Map<Integer, Long> counts = new TreeMap<>();
        List<TopicPartition> behind = ends.keySet().stream().filter(p -> from.getOrDefault(p, 0L) < ends.get(p))
                .map(namespace::truthPartition).toList();
        if (behind.isEmpty()) {
            return counts;
        }
        Properties props = settings.sourceKafka().properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logkv-promotion-count");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(behind);
            behind.forEach(partition -> consumer.seek(partition, from.getOrDefault(partition.partition(), 0L)));
            long deadline = System.nanoTime() + settings.positionsReadTimeout().toNanos();
            while (behind.stream().anyMatch(tp -> consumer.position(tp, settings.kafkaTimeout()) < ends.get(tp.partition()))) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaUnavailableException("could not read " + namespace.truthTopic() + " of region "
                            + settings.sourceRegion() + " to its end", null);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < ends.get(record.partition())) {
                        counts.merge(record.partition(), 1L, Long::sum);
                    }
                }
            }
        }
        return counts;
    }
}
