package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.writer.KafkaUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
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
 * One partition of the mirror's own topics (positions, incarnations) read {@code read_committed} from its start past
 * every record written before the read began (its end then, uncommitted records included), so that nothing committed
 * before is missed, however long other topics' transactions keep the last stable offset back (at most the target's
 * transaction timeout; bounded by {@code readTimeout}).
 */
final class CommittedRead {

    private CommittedRead() {
    }

    /** Passes each record of {@code partition} to {@code each}, in order, up to the partition's end as of the call. */
    static void readToEnd(Admin admin, KafkaConnection kafka, TopicPartition partition, String clientId, Duration kafkaTimeout,
                          Duration readTimeout, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        long end = AdminCalls.await(admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
                new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).partitionResult(partition),
                "read the end of " + partition.topic(), kafkaTimeout).offset();
        Properties props = kafka.properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + readTimeout.toNanos();
            while (consumer.position(partition, kafkaTimeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaUnavailableException("could not read " + partition.topic() + " to offset " + end
                            + " within " + readTimeout.toMillis() + " ms", null);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }
}
