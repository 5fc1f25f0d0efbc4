package io.logkv.benchmark;

import io.logkv.materializer.PartitionStore;
import io.logkv.materializer.StoreResources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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
 * A diagnostic, not a candidate: LogKV's apply loop (poll, then per partition one RocksDB batch of the
 * records and the new position) rebuilt from the materializer's public {@link PartitionStore}, with a
 * clock around each step, to tell whether a rebuild waits on Kafka or on RocksDB. It writes through RocksDB's
 * memtable, one thread polling and writing: the way LogKV replayed before replicas far behind loaded their
 * stores by table files, so the same run also compares the two ways of writing.
 */
final class ReplayCostBreakdown {

    private final String bootstrapServers;
    private final Path workDir;
    private int runs;

    ReplayCostBreakdown(String bootstrapServers, Path workDir) {
        this.bootstrapServers = bootstrapServers;
        this.workDir = workDir;
    }

    /**
     * Where one replay's time went.
     *
     * @param tailNanos time from the last record to seeing every partition at its end: polls that only
     *                  step over the final commit markers, each returning no records after its timeout
     */
    record Breakdown(Measurement total, long pollNanos, long batchNanos, long writeNanos, long tailNanos) {
        String describe() {
            double total = total().nanos();
            long other = total().nanos() - pollNanos - batchNanos - writeNanos;
            return String.format("poll %.2f s (%.0f%%, of which %.2f s after the last record was written, stepping over the final commit "
                            + "markers), building batches %.2f s (%.0f%%), RocksDB writes %.2f s (%.0f%%), "
                            + "other (consumer and store start-up, position checks) %.2f s (%.0f%%)",
                    pollNanos / 1e9, 100 * pollNanos / total, tailNanos / 1e9, batchNanos / 1e9, 100 * batchNanos / total,
                    writeNanos / 1e9, 100 * writeNanos / total, other / 1e9, 100 * other / total);
        }
    }

    Breakdown replay(LoadedTopic topic) {
        Path dataDir = workDir.resolve("breakdown-" + topic.namespace() + "-" + (++runs));
        List<TopicPartition> partitions = IntStream.range(0, topic.partitions())
                .mapToObj(topic.namespace()::truthPartition).toList();
        long pollNanos = 0;
        long batchNanos = 0;
        long writeNanos = 0;
        long records = 0;
        long firstRecord = 0;
        long lastRecord = 0;
        CpuSample cpu = CpuSample.take();
        long started = System.nanoTime();
        Map<TopicPartition, PartitionStore> stores = new HashMap<>();
        // The same shared cache and memtable budget as ReplicaReplay gives LocalReplicas (LogKV's defaults).
        try (StoreResources resources = new StoreResources(256L * 1024 * 1024, 64L * 1024 * 1024, 64L * 1024);
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config(), new ByteArrayDeserializer(),
                     new ByteArrayDeserializer())) {
            for (TopicPartition tp : partitions) {
                stores.put(tp, PartitionStore.open(dataDir.resolve(tp.toString()), resources));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                long t0 = System.nanoTime();
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(200));
                pollNanos += System.nanoTime() - t0;
                if (firstRecord == 0 && !polled.isEmpty()) {
                    firstRecord = System.nanoTime();
                }
                for (TopicPartition tp : polled.partitions()) {
                    List<ConsumerRecord<byte[], byte[]>> batch = polled.records(tp);
                    try (PartitionStore.Batch changes = stores.get(tp).newBatch()) {
                        long t1 = System.nanoTime();
                        for (ConsumerRecord<byte[], byte[]> record : batch) {
                            changes.put(record.key(), record.value());
                        }
                        long t2 = System.nanoTime();
                        changes.commit(batch.get(batch.size() - 1).offset() + 1);
                        batchNanos += t2 - t1;
                        writeNanos += System.nanoTime() - t2;
                    }
                    records += batch.size();
                }
                if (!polled.isEmpty()) {
                    lastRecord = System.nanoTime();
                }
            }
            long nanos = System.nanoTime() - started;
            CpuSample.Use cpuUse = CpuSample.since(cpu, nanos);
            return new Breakdown(new Measurement(records, Math.round(records * topic.bytesPerRecord()), nanos, firstRecord - started, cpuUse),
                    pollNanos, batchNanos, writeNanos, started + nanos - lastRecord);
        } finally {
            stores.values().forEach(PartitionStore::close);
            PartitionStore.deleteRecursively(dataDir);
        }
    }

    private Properties config() {
        return ReaderSettings.reader(bootstrapServers, "spike-breakdown");
    }
}
