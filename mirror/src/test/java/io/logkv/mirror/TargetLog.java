package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.HomeLease;
import io.logkv.core.MirrorHeaders;
import io.logkv.core.MirrorPosition;
import io.logkv.testkit.KafkaTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
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
                // The home leases the mirror grants share the topic with the positions.
                MirrorPosition position = r.value() == null || HomeLease.isGrantKey(r.key()) ? null : MirrorPosition.parse(r.key(), r.value());
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

    /**
     * Fails if a transaction is still open on any partition of {@code topics} in {@code region} 10 s from now (an
     * abort's markers are written shortly after the abort is answered; a killed mirror's would stay for 60 s).
     */
    static void assertNoOpenTransaction(KafkaTestCluster region, List<String> topics) throws Exception {
        List<TopicPartition> partitions = new java.util.ArrayList<>();
        for (var description : region.admin().describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
            description.partitions().forEach(p -> partitions.add(new TopicPartition(description.name(), p.partition())));
        }
        OpenTransactions transactions = new OpenTransactions(region.admin(), Duration.ofSeconds(30));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<TopicPartition> open;
        do {
            open = transactions.open(partitions).stream().map(org.apache.kafka.clients.admin.AbortTransactionSpec::topicPartition).toList();
            if (open.isEmpty()) {
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        assertThat(open).as("partitions with a transaction still open after the mirror stopped").isEmpty();
    }
}
