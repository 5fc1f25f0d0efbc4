package io.logkv.mirror;

import io.logkv.core.MirrorHeaders;
import io.logkv.core.MirrorPosition;
import io.logkv.testkit.KafkaTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the target region's log holds, committed and not, for the message of a failed exactly-once check:
 * each record of the mirrored partition as {@code offset:sourceOffset}, and the topic's mirror positions.
 */
final class TargetLog {

    private TargetLog() {
    }

    static String describe(KafkaTestCluster target, String topic, int partition) {
        StringBuilder out = new StringBuilder();
        for (String isolation : List.of("read_uncommitted", "read_committed")) {
            out.append(topic).append('-').append(partition).append(' ').append(isolation).append(": ");
            read(target, new TopicPartition(topic, partition), isolation)
                    .forEach(r -> out.append(r.offset()).append(':').append(MirrorHeaders.sourceOffsetOf(r.headers())).append(' '));
            out.append('\n').append(MirrorPosition.TOPIC).append(' ').append(isolation).append(": ");
            for (ConsumerRecord<byte[], byte[]> r : read(target, new TopicPartition(MirrorPosition.TOPIC, 0), isolation)) {
                MirrorPosition position = r.value() == null ? null : MirrorPosition.parse(r.key(), r.value());
                if (position != null && position.topic().equals(topic) && position.partition() == partition) {
                    out.append(r.offset()).append("->").append(position.nextSourceOffset()).append('/')
                            .append(position.lastTargetOffset()).append(' ');
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(KafkaTestCluster cluster, TopicPartition partition, String isolation) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<ConsumerRecord<byte[], byte[]>> records = new java.util.ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            Map<TopicPartition, Long> ends = consumer.endOffsets(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (consumer.position(partition) < ends.get(partition) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
