package io.logkv.benchmark;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** A read_committed reader of the target topic that counts records until the source's all arrived. */
final class MirrorTargetCount implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final LoadedTopic topic;
    private final Progress progress;
    private long records;
    private long bytes;
    private long firstNanos;
    private long lastNanos;

    MirrorTargetCount(String bootstrap, LoadedTopic topic) {
        Properties props = ReaderSettings.reader(bootstrap, "mirror-bench-target-count");
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.progress = new Progress("in the target", topic.records());
        List<TopicPartition> partitions = IntStream.range(0, topic.partitions())
                .mapToObj(topic.namespace()::truthPartition).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Reads until every record arrived; {@code copier} (if any) is a copy running on another thread. */
    void awaitAll(long started, Thread copier) throws InterruptedException {
        while (records < topic.records()) {
            if (System.nanoTime() - started > TIMEOUT.toNanos()) {
                throw new IllegalStateException("the copy did not finish in " + TIMEOUT + ": " + records + " records arrived");
            }
            ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
            for (ConsumerRecord<byte[], byte[]> record : batch) {
                records++;
                bytes += record.serializedKeySize() + record.serializedValueSize();
            }
            if (!batch.isEmpty()) {
                lastNanos = System.nanoTime();
                if (firstNanos == 0) {
                    firstNanos = lastNanos;
                }
                progress.update(records);
            }
        }
        if (records != topic.records()) {
            throw new IllegalStateException("the target has " + records + " records, the source " + topic.records());
        }
        if (copier != null) {
            copier.join(TIMEOUT.toMillis());
        }
    }

    long records() {
        return records;
    }

    long bytes() {
        return bytes;
    }

    long firstNanos() {
        return firstNanos;
    }

    long lastNanos() {
        return lastNanos;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
