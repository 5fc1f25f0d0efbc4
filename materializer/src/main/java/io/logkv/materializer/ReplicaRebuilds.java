package io.logkv.materializer;

import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds of replicas: starting one (wipe the replica, then replay the log from its start or from a
 * snapshot), and the rebuilds this node has run (latest per partition) with their progress as the applier
 * reports it, in the {@code logkv.replica.rebuild.*} gauges and in {@code event=rebuild_progress} log lines.
 */
final class ReplicaRebuilds {

    private static final Logger log = LoggerFactory.getLogger(ReplicaRebuilds.class);
    private static final long PROGRESS_INTERVAL_NANOS = 5_000_000_000L;

    private final Map<TopicPartition, RebuildProgress> rebuilds = new ConcurrentHashMap<>();
    private final MeterRegistry meters;
    private final NodeTime time;

    /** @param time the clock a rebuild is timed by, and its progress logged every few seconds of */
    ReplicaRebuilds(MeterRegistry meters, NodeTime time) {
        this.meters = meters;
        this.time = time;
    }

    /** The rebuild of {@code tp} still running, or null. */
    RebuildProgress running(TopicPartition tp) {
        RebuildProgress rebuild = rebuilds.get(tp);
        return rebuild != null && !rebuild.finished() ? rebuild : null;
    }

    /**
     * Wipes the replica of {@code tp} and rebuilds it up to the log's current end: by full replay, or with
     * {@code fromSnapshot} from the newest usable snapshot and the log after it. Applying thread only.
     *
     * @return the rebuild started, or the one already running
     * @throws ReplicaUnavailableException when this node holds no replica of {@code tp}
     */
    RebuildProgress rebuild(TopicPartition tp, boolean fromSnapshot, HeldReplicas held, ReplicaOpening opening) {
        if (!held.holds(tp)) {
            throw new ReplicaUnavailableException("this node holds no replica of " + tp);
        }
        RebuildProgress running = running(tp);
        if (running != null) {
            return running;
        }
        long end = held.endOffset(tp);
        held.close(tp, true);
        RebuildProgress progress = start(tp, end);
        log.info("event=rebuild_started partition={} target_position={} from={}", tp, end, fromSnapshot ? "snapshot" : "log");
        if (fromSnapshot) {
            held.assignAll();
            opening.startSeeding(tp, fresh -> fresh.openedAgainst(end));
        } else {
            PartitionReplica fresh = held.openStore(tp, "rebuilt by full replay");
            held.assignAll();
            held.replayFromStart(tp);
            fresh.openedAgainst(end);
        }
        return progress;
    }

    /** Starts tracking a rebuild of {@code tp} up to {@code end}. */
    private RebuildProgress start(TopicPartition tp, long end) {
        NamespaceName namespace = NamespaceName.ofTopic(tp.topic());
        RebuildProgress progress = new RebuildProgress(namespace, tp.partition(), end, time);
        rebuilds.put(tp, progress);
        Tags tags = Tags.of("namespace", namespace.value(), "partition", Integer.toString(tp.partition()));
        Gauge.builder("logkv.replica.rebuild.percent", rebuilds, all -> all.containsKey(tp) ? all.get(tp).status().percentDone() : 0)
                .description("How far the latest rebuild of a replica has come").tags(tags).register(meters);
        Gauge.builder("logkv.replica.rebuild.records", rebuilds, all -> all.containsKey(tp) ? all.get(tp).status().records() : 0)
                .description("Records the latest rebuild of a replica has applied").tags(tags).register(meters);
        return progress;
    }

    /** Records applied by a rebuilding replica. */
    void applied(TopicPartition tp, long position, int records, long bytes) {
        RebuildProgress rebuild = running(tp);
        if (rebuild != null) {
            rebuild.applied(position, records, bytes);
            if (rebuild.finished()) {
                logDone(tp, rebuild);
            }
        }
    }

    /** The position a rebuilding replica reached (records or not); logs progress every few seconds. */
    void advancedTo(TopicPartition tp, long position) {
        RebuildProgress rebuild = running(tp);
        if (rebuild == null) {
            return;
        }
        rebuild.advancedTo(position);
        if (rebuild.finished()) {
            logDone(tp, rebuild);
        } else if (time.nanoTime() - rebuild.lastReportNanos >= PROGRESS_INTERVAL_NANOS) {
            RebuildProgress.Status status = rebuild.status();
            log.info("event=rebuild_progress partition={} done_percent={} records={} records_per_second={} mb_per_second={}",
                    tp, status.percentDone(), status.records(), status.recordsPerSecond(), status.megabytesPerSecond());
            rebuild.lastReportNanos = time.nanoTime();
        }
    }

    /** The replica of {@code tp} closed: a rebuild of it still running has failed. */
    void closed(TopicPartition tp) {
        RebuildProgress rebuild = running(tp);
        if (rebuild != null) {
            rebuild.failed("the replica was closed");
        }
    }

    /** Every rebuild (running and finished), latest per partition, by namespace and partition. */
    List<RebuildProgress> all() {
        return rebuilds.values().stream()
                .sorted(Comparator.comparing((RebuildProgress r) -> r.namespace().value()).thenComparingInt(RebuildProgress::partition))
                .toList();
    }

    private static void logDone(TopicPartition tp, RebuildProgress rebuild) {
        RebuildProgress.Status status = rebuild.status();
        log.info("event=rebuild_done partition={} records={} bytes={} seconds={} records_per_second={} mb_per_second={}",
                tp, status.records(), status.bytes(), status.elapsedMs() / 1000.0, status.recordsPerSecond(), status.megabytesPerSecond());
    }
}
