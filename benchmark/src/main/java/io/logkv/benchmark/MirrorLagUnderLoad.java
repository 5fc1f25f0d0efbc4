package io.logkv.benchmark;

import io.logkv.core.NamespaceName;
import io.logkv.core.RegionName;
import io.logkv.mirror.Mirror;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.TruthTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A copier's lag under load: the source is written at a fixed rate, in transactions every 10 ms as LogKV's
 * writers commit, while the copier runs, and the time from each send to the record readable (read_committed)
 * is measured in the source and in the target.
 */
final class MirrorLagUnderLoad {

    /** How long the source is written at a fixed rate while a copier's lag is measured. */
    static final Duration LAG_LOAD = Duration.ofSeconds(30);

    private final String source;
    private final String target;
    private final KafkaTestCluster sourceCluster;
    private final KafkaTestCluster targetCluster;
    private final MirrorMakerProcess mirrorMaker;
    /** Measurements made so far: each writes a topic of its own. */
    private int measured;

    MirrorLagUnderLoad(KafkaTestCluster sourceCluster, KafkaTestCluster targetCluster, MirrorMakerProcess mirrorMaker) {
        this.source = sourceCluster.bootstrapServers();
        this.target = targetCluster.bootstrapServers();
        this.sourceCluster = sourceCluster;
        this.targetCluster = targetCluster;
        this.mirrorMaker = mirrorMaker;
    }

    /**
     * Writes {@code rate} records a second to a fresh truth topic of the source, in transactions every 10 ms
     * as LogKV's writers commit, while {@code copier} copies it; appends the lag figures of the source's own
     * readers and of the target's. The copier is started and seen to copy (warm-up records) before the load.
     */
    void measure(MirrorCase copier, int partitions, int valueBytes, double rate, StringBuilder report) throws Exception {
        String name = copier.label();
        NamespaceName namespace = new NamespaceName("mirror-lag-" + copier.tag() + "-" + ++measured);
        String topic = namespace.truthTopic();
        new TruthTopics(sourceCluster.admin(), MirrorCopies.TRUTH, Duration.ofSeconds(30)).ensure(topic, partitions);
        if (!copier.logKvMirror()) {
            new TruthTopics(targetCluster.admin(), MirrorCopies.TRUTH, Duration.ofSeconds(30)).ensure(topic, partitions);
        }
        LoadedTopic shape = new LoadedTopic(namespace, partitions, 0, 0);
        Mirror mirror = null;
        Process mm2 = null;
        try (LagWriter writer = new LagWriter(source, topic, valueBytes)) {
            if (copier.logKvMirror()) {
                mirror = new Mirror(MirrorSettings.of(new RegionName("a"), new RegionName("b"), source, target,
                        NamespaceSelection.of(List.of(namespace.value()))), new SimpleMeterRegistry());
                mirror.start();
            } else {
                mm2 = mirrorMaker.start(shape);
            }
            try (LagReader sourceSide = new LagReader(source, namespace, partitions);
                 LagReader targetSide = new LagReader(target, namespace, partitions)) {
                writer.write("warm-", 100, 1000);
                targetSide.await("warm-", 100, Duration.ofMinutes(3));
                sourceSide.await("warm-", 100, Duration.ofSeconds(30));
                long written = writer.write("lag-", (long) (rate * LAG_LOAD.toSeconds()), rate);
                sourceSide.await("lag-", written, Duration.ofMinutes(1));
                targetSide.await("lag-", written, Duration.ofMinutes(3));
                report.append(sourceSide.row("the source (" + name + " run)", written));
                report.append(targetSide.row("the target, through " + name, written));
            }
        } finally {
            if (mirror != null) {
                mirror.close();
            }
            if (mm2 != null) {
                mm2.destroy();
                mm2.waitFor();
            }
        }
    }

    /** A transactional writer of the source, committing every 10 ms. */
    private static final class LagWriter implements AutoCloseable {

        private final KafkaProducer<byte[], byte[]> producer;
        private final String topic;
        private final byte[] value;

        LagWriter(String bootstrap, String topic, int valueBytes) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "mirror-bench-lag-" + topic);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
            this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
            this.topic = topic;
            this.value = Values.of(valueBytes, new java.util.SplittableRandom(7));
            producer.initTransactions();
        }

        /** Writes {@code count} records keyed {@code prefix<n>} at {@code rate} a second; returns how many. */
        long write(String prefix, long count, double rate) throws InterruptedException {
            long started = System.nanoTime();
            long sent = 0;
            while (sent < count) {
                long due = Math.min(count, (long) ((System.nanoTime() - started) / 1e9 * rate) + 1);
                if (due > sent) {
                    producer.beginTransaction();
                    for (; sent < due; sent++) {
                        producer.send(new ProducerRecord<>(topic, (prefix + sent).getBytes(StandardCharsets.UTF_8), value));
                    }
                    producer.commitTransaction();
                }
                Thread.sleep(10);
            }
            return sent;
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(10));
        }
    }

    /** A read_committed reader that records, for keys of a prefix, how long after its send each record became readable. */
    private static final class LagReader implements AutoCloseable {

        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private final Map<String, org.HdrHistogram.Histogram> lags = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<String, java.util.concurrent.atomic.AtomicLong> counts = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile boolean running = true;

        LagReader(String bootstrap, NamespaceName namespace, int partitions) {
            Properties props = ReaderSettings.reader(bootstrap, "mirror-bench-lag-reader");
            props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
            this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> assigned = IntStream.range(0, partitions).mapToObj(namespace::truthPartition).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            this.thread = new Thread(this::read, "mirror-bench-lag-reader");
            thread.setDaemon(true);
            thread.start();
        }

        private void read() {
            while (running) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(50));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    String prefix = key.substring(0, key.indexOf('-') + 1);
                    lags.computeIfAbsent(prefix, p -> new org.HdrHistogram.Histogram(3600_000L, 3))
                            .recordValue(Math.max(0, now - record.timestamp()));
                    counts.computeIfAbsent(prefix, p -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
                }
            }
        }

        void await(String prefix, long count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (counts.getOrDefault(prefix, new java.util.concurrent.atomic.AtomicLong()).get() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + counts.getOrDefault(prefix, new java.util.concurrent.atomic.AtomicLong())
                            + " of " + count + " records " + prefix + "* arrived in " + timeout);
                }
                Thread.sleep(20);
            }
        }

        String row(String where, long written) {
            org.HdrHistogram.Histogram lag = lags.get("lag-");
            return String.format(Locale.ROOT, "| %s | %,d | %d | %d | %d |%n", where, written,
                    lag.getValueAtPercentile(50), lag.getValueAtPercentile(99), lag.getMaxValue());
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
