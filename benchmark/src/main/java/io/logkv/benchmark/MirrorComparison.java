package io.logkv.benchmark;

import io.logkv.core.NamespaceName;
import io.logkv.core.RegionName;
import io.logkv.mirror.Mirror;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * Copies the same truth topic from one region's Kafka cluster to another's three ways, and times each until
 * the last record is readable (read_committed) in the target:
 * <ul>
 *   <li>a raw copy: a read_committed consumer and an idempotent producer (acks=all), no transactions, no
 *       positions: at-least-once, the floor no mirror can beat on the same clusters;</li>
 *   <li>LogKV's mirror ({@code mirror/}, ADR 0011): transactions that carry the records of the polls of up
 *       to 100 ms and the source positions after them; and the same with one poll per transaction, as it was
 *       before the commit interval;</li>
 *   <li>Kafka's MirrorMaker 2 in dedicated mode with exactly-once source support (KIP-618), the identity
 *       replication policy and a read_committed source consumer: what an operator would run instead. It runs
 *       in its own JVM, as {@code connect-mirror-maker.sh} would start it, on the classpath that
 *       {@code benchmark/mirrormaker/pom.xml} resolves.</li>
 * </ul>
 * Each case copies a topic of its own, loaded with the same records; cases run interleaved within each
 * repetition. Both clusters (3 KRaft brokers each) run in this JVM, so every case pays the same brokers'
 * CPU, and the CPU figures count the brokers too. Times start when the copier is started, so they include
 * its start-up (MirrorMaker 2 starts Connect workers); the rate after the first record is printed as well.
 */
public final class MirrorComparison {

    private static final String RAW = "raw copy: consumer + idempotent producer (baseline)";
    private static final String LOGKV = "LogKV mirror (transactions with positions)";
    private static final String LOGKV_ONE_POLL = "LogKV mirror, one poll per transaction (commit interval 0)";
    private static final String MM2 = "MirrorMaker 2, exactly-once source support";
    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    /** How long the source is written at a fixed rate while a copier's lag is measured. */
    private static final Duration LAG_LOAD = Duration.ofSeconds(30);
    private static final TruthTopicRequirements TRUTH = new TruthTopicRequirements(3, 2, 2_000_000);

    private final String source;
    private final String target;
    private final KafkaTestCluster sourceCluster;
    private final KafkaTestCluster targetCluster;

    private MirrorComparison(KafkaTestCluster sourceCluster, KafkaTestCluster targetCluster) {
        this.source = sourceCluster.bootstrapServers();
        this.target = targetCluster.bootstrapServers();
        this.sourceCluster = sourceCluster;
        this.targetCluster = targetCluster;
    }

    /** Runs the comparison and prints its report (markdown). */
    static void run(long records, int valueBytes, int partitions, int repeats, Path out) throws Exception {
        StringBuilder report = new StringBuilder();
        StringBuilder lagReport = new StringBuilder();
        report.append("# Mirror between two regions: LogKV's mirror against MirrorMaker 2 and a raw copy\n\n");
        report.append(MachineDescription.describe());
        report.append(String.format(Locale.ROOT, "- Settings: %,d records of %d bytes per topic, %d partitions, %d runs of each case%n",
                records, valueBytes, partitions, repeats));
        report.append("- Kafka: two clusters of 3 in-process KRaft brokers (RF 3, min ISR 2) in this same JVM\n");
        System.out.print(report);
        Map<String, CaseRuns> cases = new LinkedHashMap<>();
        for (String name : List.of(RAW, LOGKV, LOGKV_ONE_POLL, MM2)) {
            cases.put(name, new CaseRuns(name, records));
        }
        System.out.println("starting two 3-broker Kafka clusters…");
        try (KafkaTestCluster sourceCluster = KafkaTestCluster.start(3);
             KafkaTestCluster targetCluster = KafkaTestCluster.start(3)) {
            MirrorComparison comparison = new MirrorComparison(sourceCluster, targetCluster);
            TruthTopicLoader loader = new TruthTopicLoader(sourceCluster.bootstrapServers(), sourceCluster.admin());
            // Run 0 warms the JIT up and is not counted.
            for (int run = 0; run <= repeats; run++) {
                System.out.println(run == 0 ? "warm-up run (not counted)" : "run " + run + " of " + repeats);
                for (String name : cases.keySet()) {
                    NamespaceName namespace = new NamespaceName("mirror-" + caseTag(name) + "-" + run);
                    LoadedTopic topic = loader.load(namespace, partitions, run == 0 ? Math.min(records, 20_000) : records, valueBytes);
                    Measurement measurement = comparison.copy(name, topic);
                    report(name, measurement);
                    if (run > 0) {
                        cases.get(name).add(measurement);
                    }
                }
            }
            // Lag under load: half the LogKV mirror's steady rate, written while each copier runs.
            double rate = steadyRate(cases.get(LOGKV)) / 2;
            lagReport.append(String.format(Locale.ROOT, "%n## Lag at half the LogKV mirror's steady rate (%,.0f records/s for %d s)%n%n",
                    rate, LAG_LOAD.toSeconds()));
            lagReport.append("Time from the writer's send to the record readable (read_committed): in the source (the writer's own\n"
                    + "transactions, committed every 10 ms), and in the target through each copier.\n\n");
            lagReport.append("| readable in | records | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n");
            for (String name : List.of(LOGKV, MM2)) {
                System.out.printf(Locale.ROOT, "lag under load: %s at %,.0f records/s for %d s%n", name, rate, LAG_LOAD.toSeconds());
                comparison.lagUnderLoad(name, partitions, valueBytes, rate, lagReport);
            }
        }
        report.append("\n## Results (median of ").append(repeats)
                .append(" runs; times from the copier's start to the last record readable in the target)\n\n");
        report.append(ResultTable.markdown(new ArrayList<>(cases.values()), RAW));
        report.append("\nRate after the first record reached the target (start-up excluded), medians:\n\n");
        for (CaseRuns runs : cases.values()) {
            List<Double> rates = runs.runs().stream()
                    .map(m -> m.records() / ((m.nanos() - m.startupNanos()) / 1e9)).sorted().toList();
            report.append(String.format(Locale.ROOT, "- %s: %,.0f records/s (each run: %s); first record after %.2f s%n",
                    runs.name(), rates.get(rates.size() / 2),
                    rates.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r)).toList(),
                    runs.median().startupNanos() / 1e9));
        }
        report.append("\n## Who used the CPU during each median run\n\n");
        for (CaseRuns runs : cases.values()) {
            report.append("- ").append(runs.name()).append(": ").append(runs.median().cpuUse().description()).append('\n');
        }
        report.append(lagReport);
        Files.createDirectories(out);
        Path file = out.resolve("mirror-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".md");
        Files.writeString(file, report, StandardCharsets.UTF_8);
        System.out.println();
        System.out.print(report.substring(report.indexOf("\n## Results")));
        System.out.println("written: " + file);
    }

    private static double steadyRate(CaseRuns runs) {
        List<Double> rates = runs.runs().stream().map(m -> m.records() / ((m.nanos() - m.startupNanos()) / 1e9)).sorted().toList();
        return rates.get(rates.size() / 2);
    }

    /**
     * Writes {@code rate} records a second to a fresh truth topic of the source, in transactions every 10 ms
     * as LogKV's writers commit, while {@code name} copies it; appends the lag figures of the source's own
     * readers and of the target's. The copier is started and seen to copy (warm-up records) before the load.
     */
    private void lagUnderLoad(String name, int partitions, int valueBytes, double rate, StringBuilder report) throws Exception {
        NamespaceName namespace = new NamespaceName("mirror-lag-" + caseTag(name));
        String topic = namespace.truthTopic();
        new TruthTopics(sourceCluster.admin(), TRUTH, Duration.ofSeconds(30)).ensure(topic, partitions);
        if (!name.startsWith("LogKV")) {
            new TruthTopics(targetCluster.admin(), TRUTH, Duration.ofSeconds(30)).ensure(topic, partitions);
        }
        LoadedTopic shape = new LoadedTopic(namespace, partitions, 0, 0);
        Mirror mirror = null;
        Process mm2 = null;
        try (LagWriter writer = new LagWriter(source, topic, valueBytes)) {
            if (name.startsWith("LogKV")) {
                mirror = new Mirror(MirrorSettings.of(new RegionName("a"), new RegionName("b"), source, target,
                        NamespaceSelection.of(List.of(namespace.value()))), new SimpleMeterRegistry());
                mirror.start();
            } else {
                mm2 = startMirrorMaker(shape);
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

    private static String caseTag(String name) {
        return name.equals(RAW) ? "raw" : name.equals(LOGKV) ? "logkv" : name.equals(LOGKV_ONE_POLL) ? "logkv-one-poll" : "mm2";
    }

    private static void report(String name, Measurement m) {
        System.out.printf(Locale.ROOT, "  %s: %.2f s, %,.0f records/s, first record after %.2f s%n", name, m.seconds(),
                m.recordsPerSecond(), m.startupNanos() / 1e9);
    }

    private Measurement copy(String name, LoadedTopic topic) throws Exception {
        if (!name.startsWith("LogKV")) {
            // The LogKV mirror creates (and checks) its target topic itself; the others get the same settings.
            new TruthTopics(targetCluster.admin(), TRUTH, Duration.ofSeconds(30)).ensure(topic.topic(), topic.partitions());
        }
        CpuSample cpu = CpuSample.take();
        long started = System.nanoTime();
        try (TargetCount count = new TargetCount(target, topic)) {
            switch (caseTag(name)) {
                case "raw" -> {
                    count.awaitAll(started, RawCopy.start(source, target, topic));
                }
                case "logkv", "logkv-one-poll" -> {
                    MirrorSettings settings = MirrorSettings.of(new RegionName("a"), new RegionName("b"), source, target,
                            NamespaceSelection.of(List.of(topic.namespace().value())));
                    if (name.equals(LOGKV_ONE_POLL)) {
                        settings = settings.withTransactions(Duration.ZERO, settings.maxPollRecords());
                    }
                    try (Mirror mirror = new Mirror(settings, new SimpleMeterRegistry())) {
                        mirror.start();
                        count.awaitAll(started, null);
                    }
                }
                default -> {
                    Process mm2 = startMirrorMaker(topic);
                    try {
                        count.awaitAll(started, null);
                    } finally {
                        mm2.destroy();
                        mm2.waitFor();
                    }
                }
            }
            long nanos = count.lastNanos() - started;
            return new Measurement(count.records(), count.bytes(), nanos, count.firstNanos() - started,
                    CpuSample.since(cpu, nanos));
        }
    }

    private Process startMirrorMaker(LoadedTopic topic) throws IOException {
        Path properties = Files.createTempFile("mirror-maker-", ".properties");
        StringBuilder text = new StringBuilder();
        mirrorMakerConfig(topic.topic()).forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        Files.writeString(properties, text, StandardCharsets.UTF_8);
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "mirror-maker-" + topic.namespace().value() + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx1g", "-cp", mirrorMakerClasspath(),
                "org.apache.kafka.connect.mirror.MirrorMaker", properties.toString(), "--clusters", "b")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** MirrorMaker 2's classpath, resolved once by Maven with Kafka's own dependency versions. */
    private static String mirrorMakerClasspath() throws IOException {
        Path pom = root().resolve("benchmark/mirrormaker/pom.xml");
        Path file = root().resolve("benchmark/mirrormaker/target/classpath.txt");
        if (!Files.exists(file)) {
            System.out.println("resolving MirrorMaker 2's classpath (benchmark/mirrormaker/pom.xml)…");
            try {
                int exit = new ProcessBuilder("mvn", "-q", "-B", "-f", pom.toString(), "dependency:build-classpath")
                        .inheritIO().start().waitFor();
                if (exit != 0 || !Files.exists(file)) {
                    throw new IOException("could not resolve MirrorMaker 2's classpath (mvn exited " + exit + ")");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while resolving MirrorMaker 2's classpath", e);
            }
        }
        return Files.readString(file).strip();
    }

    /** The repository's root: bin/logkv points the reports at its bench/results (else the working directory's). */
    private static Path root() {
        Path results = Path.of(System.getProperty("logkv.bench.results", "bench/results")).toAbsolutePath();
        return results.getParent().getParent();
    }

    /**
     * MirrorMaker 2 as the Kafka documentation configures exactly-once mirroring in dedicated mode: exactly-once
     * source support on the target's workers (which needs the internal REST server of KIP-710), records kept
     * under the same topic name, and a source consumer that reads only committed transactions. Heartbeats,
     * checkpoints and group offset sync are off: LogKV's mirror does none of them either.
     */
    private Map<String, String> mirrorMakerConfig(String topic) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("clusters", "a, b");
        props.put("a.bootstrap.servers", source);
        props.put("b.bootstrap.servers", target);
        props.put("a->b.enabled", "true");
        props.put("b->a.enabled", "false");
        props.put("a->b.topics", topic.replace(".", "\\."));
        props.put("replication.policy.class", "org.apache.kafka.connect.mirror.IdentityReplicationPolicy");
        props.put("b.exactly.once.source.support", "enabled");
        props.put("dedicated.mode.enable.internal.rest", "true");
        props.put("listeners", "http://localhost:18083");
        props.put("a.consumer.isolation.level", "read_committed");
        props.put("replication.factor", "3");
        props.put("offset-syncs.topic.replication.factor", "3");
        props.put("heartbeats.topic.replication.factor", "3");
        props.put("checkpoints.topic.replication.factor", "3");
        props.put("config.storage.replication.factor", "3");
        props.put("offset.storage.replication.factor", "3");
        props.put("status.storage.replication.factor", "3");
        props.put("emit.heartbeats.enabled", "false");
        props.put("emit.checkpoints.enabled", "false");
        props.put("sync.group.offsets.enabled", "false");
        props.put("sync.topic.acls.enabled", "false");
        props.put("refresh.topics.interval.seconds", "1");
        props.put("tasks.max", "1");
        props.put("b.producer.compression.type", "lz4");
        return props;
    }

    /** A read_committed reader of the target topic that counts records until the source's all arrived. */
    private static final class TargetCount implements AutoCloseable {

        private final KafkaConsumer<byte[], byte[]> consumer;
        private final LoadedTopic topic;
        private final Progress progress;
        private long records;
        private long bytes;
        private long firstNanos;
        private long lastNanos;

        TargetCount(String bootstrap, LoadedTopic topic) {
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

    /** The baseline copier: reads the source to its committed end and sends every record on, keys, values and headers. */
    private static final class RawCopy {

        static Thread start(String source, String target, LoadedTopic topic) {
            Thread copier = new Thread(() -> copy(source, target, topic), "mirror-bench-raw-copy");
            copier.setDaemon(true);
            copier.start();
            return copier;
        }

        private static void copy(String source, String target, LoadedTopic topic) {
            Properties in = ReaderSettings.reader(source, "mirror-bench-raw-copy");
            Properties out = new Properties();
            out.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, target);
            out.put(ProducerConfig.ACKS_CONFIG, "all");
            out.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            out.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            out.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            out.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
            List<TopicPartition> partitions = IntStream.range(0, topic.partitions())
                    .mapToObj(topic.namespace()::truthPartition).toList();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(in, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(out, new ByteArraySerializer(), new ByteArraySerializer())) {
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                long copied = 0;
                while (copied < topic.records()) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        producer.send(new ProducerRecord<>(record.topic(), record.partition(), record.timestamp(),
                                record.key(), record.value(), record.headers()));
                        copied++;
                    }
                }
                producer.flush();
            }
        }
    }
}
