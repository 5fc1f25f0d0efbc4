package io.logkv.benchmark;

import io.logkv.core.RegionName;
import io.logkv.mirror.Mirror;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Runs one case of the mirror comparison: copies a loaded truth topic of the source region to the target
 * with that case's copier, and times it from the copier's start until the last record is readable
 * (read_committed) in the target.
 */
final class MirrorCopies {

    /** The target topic's settings for the copiers that do not create it themselves (as LogKV's mirror does). */
    static final TruthTopicRequirements TRUTH = new TruthTopicRequirements(3, 2, 2_000_000);

    private final String source;
    private final String target;
    private final KafkaTestCluster targetCluster;
    private final MirrorMakerProcess mirrorMaker;

    MirrorCopies(KafkaTestCluster sourceCluster, KafkaTestCluster targetCluster, MirrorMakerProcess mirrorMaker) {
        this.source = sourceCluster.bootstrapServers();
        this.target = targetCluster.bootstrapServers();
        this.targetCluster = targetCluster;
        this.mirrorMaker = mirrorMaker;
    }

    /** Copies {@code topic} with the copier of {@code copier}; the measurement counts the brokers' CPU too. */
    Measurement copy(MirrorCase copier, LoadedTopic topic) throws Exception {
        if (!copier.logKvMirror()) {
            // The LogKV mirror creates (and checks) its target topic itself; the others get the same settings.
            new TruthTopics(targetCluster.admin(), TRUTH, Duration.ofSeconds(30)).ensure(topic.topic(), topic.partitions());
        }
        CpuSample cpu = CpuSample.take();
        long started = System.nanoTime();
        try (MirrorTargetCount count = new MirrorTargetCount(target, topic)) {
            switch (copier) {
                case RAW -> {
                    count.awaitAll(started, RawCopy.start(source, target, topic));
                }
                case LOGKV, LOGKV_ONE_POLL -> {
                    MirrorSettings settings = MirrorSettings.of(new RegionName("a"), new RegionName("b"), source, target,
                            NamespaceSelection.of(List.of(topic.namespace().value())));
                    if (copier == MirrorCase.LOGKV_ONE_POLL) {
                        settings = settings.withTransactions(Duration.ZERO, settings.maxPollRecords());
                    }
                    try (Mirror mirror = new Mirror(settings, new SimpleMeterRegistry())) {
                        mirror.start();
                        count.awaitAll(started, null);
                    }
                }
                case MM2 -> {
                    Process mm2 = mirrorMaker.start(topic);
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

    /** Prints one run's figures as it finishes. */
    static void report(MirrorCase copier, Measurement m) {
        System.out.printf(Locale.ROOT, "  %s: %.2f s, %,.0f records/s, first record after %.2f s%n", copier.label(), m.seconds(),
                m.recordsPerSecond(), m.startupNanos() / 1e9);
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
