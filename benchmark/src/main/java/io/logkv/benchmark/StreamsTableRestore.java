package io.logkv.benchmark;

import io.logkv.materializer.PartitionStore;
import io.logkv.testkit.Pauses;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The alternative: a Kafka Streams KTable over the truth topic, in a RocksDB store. With
 * {@code topology.optimization=all} the source topic is the table's changelog, so a Streams instance
 * that loses its state directory rebuilds by restoring from the truth topic itself, the same work as
 * LogKV's replay.
 *
 * <p>Streams restores a source-topic changelog only up to the group's committed offset (what lies
 * beyond is processed normally), so {@link #build} first runs the application once to process the
 * whole topic and commit; each {@link #restore} then starts with an empty state directory.
 */
final class StreamsTableRestore {

    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final String STORE = "store";

    private final String bootstrapServers;
    private final Admin admin;
    private final Path workDir;
    private int runs;

    StreamsTableRestore(String bootstrapServers, Admin admin, Path workDir) {
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
        this.workDir = workDir;
    }

    /**
     * The timing of one restore: from creating the application, and of the restore alone (first
     * partition's restore start to last partition's restore end).
     *
     * @param suspensions restores of a partition that a rebalance interrupted (each resumes later)
     */
    record Restore(Measurement fromStart, Measurement restoreOnly, int suspensions) {
    }

    /**
     * Builds the table once by processing the topic (the application's first start) and waits until the
     * group has committed every partition to its end. Returns that first build's timing.
     */
    Measurement build(LoadedTopic topic) {
        Path stateDir = workDir.resolve("streams-build-" + topic.namespace());
        Map<TopicPartition, Long> end = endOffsets(topic);
        Progress progress = new Progress("Streams first build (processing)", topic.records());
        long started = System.nanoTime();
        KafkaStreams streams = new KafkaStreams(topology(topic), config(topic, stateDir, 1));
        try {
            streams.start();
            while (true) {
                Map<TopicPartition, Long> committed = committedOffsets(topic);
                // Transactional writes end every partition with a commit marker: a committed offset at or
                // past end-1 means every record has been processed.
                boolean done = end.entrySet().stream()
                        .allMatch(e -> committed.getOrDefault(e.getKey(), -1L) >= e.getValue() - 1);
                if (done) {
                    break;
                }
                failIfDead(streams, started);
                progress.update(estimateDone(committed, topic));
                Pauses.sleepOrFail(100);
            }
        } finally {
            close(streams);
            PartitionStore.deleteRecursively(stateDir);
        }
        long nanos = System.nanoTime() - started;
        Set<String> changelogs = topicsNamed(topic, "-changelog");
        if (!changelogs.isEmpty()) {
            throw new IllegalStateException("the source topic was expected to be the changelog, but Streams created " + changelogs);
        }
        return new Measurement(topic.records(), topic.payloadBytes(), nanos, 0, CpuSample.Use.UNKNOWN);
    }

    /** Starts the application on an empty state directory and times its restore from the truth topic. */
    Restore restore(LoadedTopic topic, int threads) {
        Path stateDir = workDir.resolve("streams-restore-" + topic.namespace() + "-" + (++runs));
        RestoreTimer timer = new RestoreTimer();
        Progress progress = new Progress("Streams restore (" + threads + " thread" + (threads == 1 ? "" : "s") + ")", topic.records());
        CpuSample cpu = CpuSample.take();
        long started = System.nanoTime();
        KafkaStreams streams = new KafkaStreams(topology(topic), config(topic, stateDir, threads));
        streams.setGlobalStateRestoreListener(timer);
        long restored;
        CpuSample.Use cpuUse;
        try {
            streams.start();
            while (!timer.finished(topic.partitions(), topic.records())) {
                failIfDead(streams, started);
                progress.update(timer.restored());
                Pauses.sleepOrFail(10);
            }
            restored = timer.restored();
            cpuUse = CpuSample.since(cpu, timer.lastEndNanos - started);
        } finally {
            close(streams);
            PartitionStore.deleteRecursively(stateDir);
        }
        if (restored < topic.records()) {
            throw new IllegalStateException("Streams restored " + restored + " records, expected " + topic.records());
        }
        if (restored > topic.records()) {
            System.out.printf("    Streams restored %,d records to rebuild %,d (a rebalance made it redo some)%n", restored, topic.records());
        }
        // Rates count the records rebuilt, not the records restored: work redone after a rebalance is a cost.
        return new Restore(new Measurement(topic.records(), topic.payloadBytes(), timer.lastEndNanos - started,
                timer.firstBatchNanos - started, cpuUse),
                new Measurement(topic.records(), topic.payloadBytes(), timer.lastEndNanos - timer.firstStartNanos,
                        timer.firstBatchNanos - timer.firstStartNanos, CpuSample.Use.UNKNOWN),
                timer.suspensions.get());
    }

    private static Topology topology(LoadedTopic topic) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.table(topic.topic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()),
                Materialized.<byte[], byte[], KeyValueStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(Serdes.ByteArray()).withValueSerde(Serdes.ByteArray()));
        // build(props), not build(): only then does the optimizer reuse the source topic as the changelog.
        return builder.build(optimization());
    }

    private static Properties optimization() {
        Properties props = new Properties();
        props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
        return props;
    }

    private Properties config(LoadedTopic topic, Path stateDir, int threads) {
        Properties props = optimization();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "spike-table-" + topic.namespace());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        // Exactly-once makes every Streams consumer, the restore consumer included, read_committed: the
        // isolation LogKV's replicas need, since a fenced writer's aborted records must never be applied.
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3);
        // The same fetch sizes as the other readers, so the cases differ only in what they do with records.
        ReaderSettings.consumerProperties().forEach((key, value) -> {
            if (!key.equals(ConsumerConfig.ISOLATION_LEVEL_CONFIG)) {
                props.put(StreamsConfig.restoreConsumerPrefix((String) key), value);
                props.put(StreamsConfig.mainConsumerPrefix((String) key), value);
            }
        });
        return props;
    }

    private Map<TopicPartition, Long> endOffsets(LoadedTopic topic) {
        Map<TopicPartition, OffsetSpec> request = IntStream.range(0, topic.partitions()).boxed()
                .collect(Collectors.toMap(p -> topic.namespace().truthPartition(p), p -> OffsetSpec.latest()));
        try {
            return admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(30, TimeUnit.SECONDS).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        } catch (Exception e) {
            throw new IllegalStateException("could not list end offsets of " + topic.topic(), e);
        }
    }

    private Map<TopicPartition, Long> committedOffsets(LoadedTopic topic) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("spike-table-" + topic.namespace())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return offsets.entrySet().stream().filter(e -> e.getValue() != null)
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        } catch (Exception e) {
            throw new IllegalStateException("could not read the committed offsets of the Streams group", e);
        }
    }

    /** Roughly how many records the committed offsets cover (offsets include commit markers). */
    private static long estimateDone(Map<TopicPartition, Long> committed, LoadedTopic topic) {
        long offsets = committed.values().stream().mapToLong(Long::longValue).sum();
        return Math.min(topic.records(), offsets * TruthTopicLoader.RECORDS_PER_TRANSACTION / (TruthTopicLoader.RECORDS_PER_TRANSACTION + 1));
    }

    private Set<String> topicsNamed(LoadedTopic topic, String suffix) {
        try {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(name -> name.startsWith("spike-table-" + topic.namespace()) && name.endsWith(suffix))
                    .collect(Collectors.toSet());
        } catch (Exception e) {
            throw new IllegalStateException("could not list topics", e);
        }
    }

    private static void failIfDead(KafkaStreams streams, long started) {
        KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING
                || state == KafkaStreams.State.PENDING_ERROR) {
            throw new IllegalStateException("Kafka Streams stopped: " + state);
        }
        if (System.nanoTime() - started > TIMEOUT.toNanos()) {
            throw new IllegalStateException("Kafka Streams did not finish in " + TIMEOUT);
        }
    }

    /** Leaves the group on close, so the next run's member is not kept waiting for this one's session to expire. */
    private static void close(KafkaStreams streams) {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(60)));
    }

    /** Observes restoration: when it started and ended, and how many records it put into the stores. */
    private static final class RestoreTimer implements StateRestoreListener {
        private final Map<TopicPartition, Long> ended = new ConcurrentHashMap<>();
        private final AtomicLong restoredInBatches = new AtomicLong();
        private final AtomicInteger suspensions = new AtomicInteger();
        private volatile long firstStartNanos;
        private volatile long firstBatchNanos;
        private volatile long lastEndNanos;

        @Override
        public synchronized void onRestoreStart(TopicPartition partition, String store, long startingOffset, long endingOffset) {
            if (firstStartNanos == 0) {
                firstStartNanos = System.nanoTime();
            }
        }

        @Override
        public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
            if (firstBatchNanos == 0) {
                firstBatchNanos = System.nanoTime();
            }
            restoredInBatches.addAndGet(numRestored);
        }

        @Override
        public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
            suspensions.incrementAndGet();
        }

        @Override
        public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
            lastEndNanos = System.nanoTime();
            ended.put(partition, totalRestored);
        }

        /**
         * Every partition has ended a restore and every record has been restored. Both are needed: a
         * rebalance can suspend a partition's restore and resume it elsewhere from its checkpoint, and the
         * total Streams reports at the end then covers only the resumed part.
         */
        boolean finished(int partitions, long records) {
            return ended.size() == partitions && restoredInBatches.get() >= records;
        }

        /** Records put into the stores so far (more than the topic holds if a rebalance made Streams redo some). */
        long restored() {
            return restoredInBatches.get();
        }
    }
}
