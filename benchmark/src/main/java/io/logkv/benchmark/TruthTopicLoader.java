package io.logkv.benchmark;

import io.logkv.core.HybridClock;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Fills a truth topic created exactly as LogKV creates one (compacted, RF 3, min ISR 2) with envelopes
 * the materializer accepts.
 *
 * <p>It writes with a plain transactional producer rather than LogKV's appender because the appender
 * acknowledges one write at a time (group commit sized by arrival), which would make loading the data
 * set the slowest part of the spike. What the readers see is the same as in production: committed
 * transactions, with a commit marker after every {@value #RECORDS_PER_TRANSACTION} records in each
 * partition they touch, and LZ4 batches like the writer's default compression.
 */
final class TruthTopicLoader {

    static final int RECORDS_PER_TRANSACTION = 1000;
    private static final int WRITER_ID = 1;

    private final String bootstrapServers;
    private final Admin admin;

    TruthTopicLoader(String bootstrapServers, Admin admin) {
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
    }

    LoadedTopic load(NamespaceName namespace, int partitions, long records, int valueBytes) {
        new TruthTopics(admin, new TruthTopicRequirements(3, 2, 2_000_000), Duration.ofSeconds(30))
                .ensure(namespace.truthTopic(), partitions);
        Progress progress = new Progress("loading " + namespace.truthTopic(), records);
        HybridClock clock = HybridClock.system();
        SplittableRandom random = new SplittableRandom(42);
        long payloadBytes = 0;
        long started = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(namespace),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            Future<RecordMetadata> last = null;
            for (long i = 0; i < records; i++) {
                if (i % RECORDS_PER_TRANSACTION == 0) {
                    producer.beginTransaction();
                }
                byte[] key = String.format("key-%010d", i).getBytes(StandardCharsets.UTF_8);
                byte[] value = new RecordEnvelope(new Version(clock.next(), WRITER_ID), RecordEnvelope.NO_EXPIRY,
                        "application/octet-stream", Values.of(valueBytes, random)).encode();
                payloadBytes += key.length + value.length;
                // No explicit partition: the default partitioner hashes keys as LogKV's KeyPartitioner does.
                last = producer.send(new ProducerRecord<>(namespace.truthTopic(), key, value));
                if ((i + 1) % RECORDS_PER_TRANSACTION == 0 || i + 1 == records) {
                    producer.commitTransaction();
                    progress.update(i + 1);
                }
            }
            if (last != null) {
                last.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not load " + namespace.truthTopic(), e);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("  loaded %d records (%.0f MiB payload) in %.1f s: %.0f records/s%n",
                records, payloadBytes / 1048576.0, seconds, records / seconds);
        return new LoadedTopic(namespace, partitions, records, payloadBytes);
    }

    private Properties producerConfig(NamespaceName namespace) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "spike-loader-" + namespace.value());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2_000_000);
        return props;
    }
}
