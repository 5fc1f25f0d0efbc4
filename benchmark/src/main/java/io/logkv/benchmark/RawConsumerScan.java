package io.logkv.benchmark;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The baseline: a read_committed consumer that reads a truth topic from the beginning to its committed
 * end and does nothing with the records. No rebuild can be faster than this on the same machine.
 */
final class RawConsumerScan {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    /** As LogKV's applier polls. */
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

    private final String bootstrapServers;

    RawConsumerScan(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    Measurement scan(LoadedTopic topic) {
        List<TopicPartition> partitions = IntStream.range(0, topic.partitions())
                .mapToObj(topic.namespace()::truthPartition).toList();
        Progress progress = new Progress("raw consumer", topic.records());
        CpuSample cpu = CpuSample.take();
        long started = System.nanoTime();
        long records = 0;
        long bytes = 0;
        long firstRecord = 0;
        long nanos;
        CpuSample.Use cpuUse;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // Under read_committed these are last stable offsets: the end a rebuild must reach.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (!reachedEnd(consumer, partitions, end)) {
                if (System.nanoTime() - started > TIMEOUT.toNanos()) {
                    throw new IllegalStateException("raw scan did not reach the end in " + TIMEOUT);
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(POLL_TIMEOUT);
                if (firstRecord == 0 && !batch.isEmpty()) {
                    firstRecord = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    records++;
                    bytes += record.serializedKeySize() + record.serializedValueSize();
                }
                progress.update(records);
            }
            // Timed before close(): closing waits for the fetch still in flight, which the broker holds
            // for fetch.max.wait.ms (500 ms) when there is nothing left to send. That is not reading.
            nanos = System.nanoTime() - started;
            cpuUse = CpuSample.since(cpu, nanos);
        }
        if (records != topic.records()) {
            throw new IllegalStateException("raw scan read " + records + " records, expected " + topic.records());
        }
        return new Measurement(records, bytes, nanos, firstRecord - started, cpuUse);
    }

    private static boolean reachedEnd(KafkaConsumer<?, ?> consumer, List<TopicPartition> partitions, Map<TopicPartition, Long> end) {
        for (TopicPartition tp : partitions) {
            if (consumer.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    private Properties config() {
        return ReaderSettings.reader(bootstrapServers, "spike-raw-scan");
    }
}
