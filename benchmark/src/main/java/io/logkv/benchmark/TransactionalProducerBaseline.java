package io.logkv.benchmark;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.HdrHistogram.Histogram;

/**
 * The write path's Kafka floor, run in its own JVM beside a running node: one raw transactional producer
 * on the node's brokers, (a) sending as fast as it can and committing every {@code commit-ms}, the way
 * Kafka Streams commits exactly-once work, and (b) committing one record per transaction, one at a time
 * (the latency floor of an acknowledged write). Prints one line per case for {@code bench/http/run.sh}.
 *
 * <p>Usage: {@code TransactionalProducerBaseline BOOTSTRAP SECONDS COMMIT_MS VALUE_BYTES}
 */
public final class TransactionalProducerBaseline {

    private static final String TOPIC = "bench.raw-transactional";

    private TransactionalProducerBaseline() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        long seconds = Long.parseLong(args[1]);
        long commitMs = Long.parseLong(args[2]);
        byte[][] values = distinctValues(Integer.parseInt(args[3]));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 6, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all().get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            producer.initTransactions();
            throughput(producer, values, seconds, commitMs);
            singleRecordLatency(producer, values, seconds);
        }
    }

    /**
     * A megabyte of distinct values, each compressing about 2:1 like LogKV's: far more than LZ4's 64 KiB
     * window, so a batch does not shrink to nothing by repeating one value.
     */
    static byte[][] distinctValues(int size) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        byte[][] values = new byte[Math.max(64, (1 << 20) / Math.max(1, size))][];
        for (int i = 0; i < values.length; i++) {
            values[i] = Values.of(size, random);
        }
        return values;
    }

    private static void throughput(KafkaProducer<byte[], byte[]> producer, byte[][] values, long seconds, long commitMs) {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long records = 0;
        long started = System.nanoTime();
        while (System.nanoTime() < end) {
            producer.beginTransaction();
            long commitAt = System.nanoTime() + Duration.ofMillis(commitMs).toNanos();
            while (System.nanoTime() < commitAt) {
                producer.send(new ProducerRecord<>(TOPIC, Long.toString(records).getBytes(), values[(int) (records++ % values.length)]));
            }
            producer.commitTransaction();
        }
        double perSecond = records / ((System.nanoTime() - started) / 1e9);
        System.out.printf(Locale.ROOT, "raw-transactional commit_ms=%d records_per_s=%.0f%n", commitMs, perSecond);
    }

    private static void singleRecordLatency(KafkaProducer<byte[], byte[]> producer, byte[][] values, long seconds) throws Exception {
        Histogram micros = new Histogram(60_000_000L, 3);
        long end = System.nanoTime() + Duration.ofSeconds(Math.max(5, seconds / 2)).toNanos();
        for (long i = 0; System.nanoTime() < end; i++) {
            long start = System.nanoTime();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(TOPIC, Long.toString(i).getBytes(), values[(int) (i % values.length)])).get();
            producer.commitTransaction();
            micros.recordValue((System.nanoTime() - start) / 1_000);
        }
        System.out.printf(Locale.ROOT, "raw-transactional-single p50_ms=%.2f p99_ms=%.2f count=%d%n",
                micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(99) / 1000.0, micros.getTotalCount());
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-raw-transactional-" + ProcessHandle.current().pid());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
