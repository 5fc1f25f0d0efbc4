package io.logkv.client;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Read-your-writes for a Kafka Streams topology (or any transactional producer) writing to a namespace.
 *
 * <p>Kafka Streams never hands the topology the {@code RecordMetadata} of what it produced, so there is no
 * per-record token as {@link IngestTokens} gives a plain producer. What an application can know is that its
 * transaction committed (for Streams: that the application's group committed its input past a record, see
 * {@link #awaitProcessed}); {@link #tokenForCommitted} then gives a token covering every ingest write
 * committed by then, this application's among them.
 *
 * <p>Owners report how far they applied an ingest partition by its last applied record, not by the
 * transaction markers after it, so the token names the last committed record of each partition (found with a
 * {@code read_committed} fetch of the partition's tail), never the log end.
 *
 * <p>Not thread-safe: one caller at a time. Close it to close its admin client and consumer.
 */
public final class TopologyTokens implements AutoCloseable {

    /** How far back from the end the first look for the last committed record reaches; doubled until found. */
    private static final long FIRST_TAIL = 64;

    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> tail;

    /**
     * @param clientConfigs Kafka client settings (at least {@code bootstrap.servers}, plus any security
     *                      settings); given to an admin client and to a {@code read_committed} consumer
     */
    public TopologyTokens(Map<String, Object> clientConfigs) {
        Properties admin = new Properties();
        admin.putAll(clientConfigs);
        this.admin = Admin.create(admin);
        Properties consumer = new Properties();
        consumer.putAll(clientConfigs);
        consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.tail = new KafkaConsumer<>(consumer, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Waits until the Kafka Streams application {@code applicationId} (its consumer group) has committed its
     * input partition {@code input} past {@code offset}: under {@code exactly_once_v2} the writes it derived
     * from that record, and from every earlier one of the partition, are then committed too.
     *
     * @throws TimeoutException when the application has not got that far within {@code timeout}
     */
    public void awaitProcessed(String applicationId, TopicPartition input, long offset, Duration timeout)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(applicationId,
                    new ListConsumerGroupOffsetsOptions().requireStable(true)).partitionsToOffsetAndMetadata(), deadline);
            OffsetAndMetadata at = committed.get(input);
            if (at != null && at.offset() > offset) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(applicationId + " has not committed " + input + " past " + offset + " within " + timeout);
            }
            Thread.sleep(50);
        }
    }

    /**
     * A token covering every write to {@code namespace}'s ingest topic whose transaction committed before this
     * call: a session read carrying it is served only by a replica that has applied them. It waits for the
     * transactions open at the call to end (committed or aborted), so it returns within about the producers'
     * commit interval, or throws.
     *
     * @throws TimeoutException when a transaction open at the call is still open after {@code timeout}
     */
    public String tokenForCommitted(String namespace, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        NamespaceName name = new NamespaceName(namespace);
        List<TopicPartition> partitions = tail.partitionsFor(name.ingestTopic(), timeout).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        // Every write committed before now lies below the high watermark read now; once the stable offset
        // passes it, no transaction with records below it is still open.
        Map<TopicPartition, Long> highWatermarks = ends(partitions, IsolationLevel.READ_UNCOMMITTED, deadline);
        while (true) {
            Map<TopicPartition, Long> stable = ends(partitions, IsolationLevel.READ_COMMITTED, deadline);
            if (partitions.stream().allMatch(tp -> stable.get(tp) >= highWatermarks.get(tp))) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("a transaction on " + name.ingestTopic() + " stayed open past " + timeout);
            }
            Thread.sleep(20);
        }
        ConsistencyToken token = ConsistencyToken.EMPTY;
        for (TopicPartition partition : partitions) {
            long last = lastCommittedRecordBelow(partition, highWatermarks.get(partition), deadline);
            if (last >= 0) {
                token = token.merge(ConsistencyToken.ofIngest(name, LogPosition.covering(partition.partition(), last)));
            }
        }
        return token.encode();
    }

    /** The offset of the last committed record of {@code partition} below {@code end}; -1 when there is none. */
    private long lastCommittedRecordBelow(TopicPartition partition, long end, long deadline) throws TimeoutException {
        long start = tail.beginningOffsets(List.of(partition)).get(partition);
        tail.assign(List.of(partition));
        for (long reach = FIRST_TAIL; ; reach *= 2) {
            long from = Math.max(start, end - reach);
            tail.seek(partition, from);
            long last = -1;
            while (tail.position(partition) < end) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("could not read the tail of " + partition + " in time");
                }
                for (ConsumerRecord<byte[], byte[]> record : tail.poll(Duration.ofMillis(100))) {
                    if (record.offset() < end) {
                        last = record.offset();
                    }
                }
            }
            if (last >= 0 || from == start) {
                return last;
            }
        }
    }

    private Map<TopicPartition, Long> ends(List<TopicPartition> partitions, IsolationLevel isolation, long deadline)
            throws TimeoutException, InterruptedException {
        Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(Function.identity(), tp -> OffsetSpec.latest()));
        Map<TopicPartition, Long> result = new HashMap<>();
        get(admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all(), deadline)
                .forEach((tp, info) -> result.put(tp, info.offset()));
        return result;
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future, long deadline) throws TimeoutException, InterruptedException {
        try {
            return future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka refused the request", e.getCause());
        }
    }

    @Override
    public void close() {
        tail.close();
        admin.close();
    }
}
