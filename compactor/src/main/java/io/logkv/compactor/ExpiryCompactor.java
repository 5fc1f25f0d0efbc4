package io.logkv.compactor;

import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.WriteCondition;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.PartitionStore.ExpiryEntry;
import io.logkv.writer.LogWriter;
import io.logkv.writer.NamespaceCatalog;
import io.logkv.writer.PartitionOwner;
import io.logkv.writer.PreconditionFailedException;
import io.logkv.writer.WriteOutcome;
import io.logkv.writer.WriterOverloadedException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expiry through the log: every key past its expiry gets a tombstone in its truth partition, so that
 * Kafka's compaction, every replica, every rebuild and every mirror reclaim it.
 *
 * <p>The guarantee: a tombstone is written only for the exact value that expired. Each one goes through
 * this node's {@link PartitionOwner}, conditioned on the expired value's version
 * ({@link WriteCondition#expired}); the owner checks that condition against the latest state it knows (its
 * own recent commits, then its replica) with its clock, as for any conditional write. A rewrite that races
 * the expiry gives the key a new version, so the tombstone is refused and the rewrite kept; a tombstone
 * that was already written leaves no value to match, so a second attempt (after a restart of the node
 * mid-pass, or a retry) writes nothing.
 *
 * <p>Only the owner of a partition expires its keys, from its replica's expiry index (soonest first, not a
 * scan of the values), at most {@code expiries-per-second}. The index lives in the replica's store with
 * the data, so a restarted node resumes where the log left it: every value still in the index is either
 * not yet expired, or gets its tombstone on the next pass.
 */
public final class ExpiryCompactor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExpiryCompactor.class);
    private static final long SUMMARY_INTERVAL_MS = 60_000;

    private final CompactorSettings settings;
    private final LocalReplicas replicas;
    private final NamespaceCatalog catalog;
    private final PartitionOwner owner;
    private final LogWriter writer;
    private final LongSupplier clock;
    private final Counter written;
    private final Counter superseded;
    private final Counter failed;
    private final Counter outlived;
    private final AtomicLong oldestDueMs = new AtomicLong();
    private final ScheduledExecutorService scheduler;
    private long rotation;
    private long lastSummaryMs;
    private final PassResult sinceSummary = new PassResult();

    public ExpiryCompactor(CompactorSettings settings, LocalReplicas replicas, NamespaceCatalog catalog, PartitionOwner owner,
                           LogWriter writer, MeterRegistry meters, LongSupplier clock) {
        this.settings = settings;
        this.replicas = replicas;
        this.catalog = catalog;
        this.owner = owner;
        this.writer = writer;
        this.clock = clock;
        String description = "Expiry tombstones the compactor tried, by outcome: written, superseded (the value was "
                + "rewritten, deleted or already expired by an earlier tombstone), failed (retried on a later pass)";
        this.written = Counter.builder("logkv.compactor.expiries").tag("outcome", "written").description(description).register(meters);
        this.superseded = Counter.builder("logkv.compactor.expiries").tag("outcome", "superseded").description(description).register(meters);
        this.failed = Counter.builder("logkv.compactor.expiries").tag("outcome", "failed").description(description).register(meters);
        this.outlived = Counter.builder("logkv.compactor.index.outlived")
                .description("Entries dropped from expiry indexes because their value had been rewritten or deleted")
                .register(meters);
        Gauge.builder("logkv.compactor.expiry.delay", oldestDueMs, oldest -> {
                    long since = oldest.get();
                    return since == 0 ? 0 : Math.max(0, clock.getAsLong() - since) / 1000.0;
                })
                .description("Seconds since the oldest expiry still waiting for its tombstone on this node's owned partitions "
                        + "(after the last pass; 0 when none waits)")
                .baseUnit("seconds").register(meters);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("logkv-compactor"));
    }

    /** Starts the passes, every {@code scan-interval}, when expiry is enabled. */
    public void start() {
        if (!settings.expiryEnabled()) {
            log.info("event=expiry_disabled");
            return;
        }
        long interval = settings.scanInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::scheduledPass, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void scheduledPass() {
        try {
            PassResult result = runPass();
            sinceSummary.add(result);
            long now = clock.getAsLong();
            if (now - lastSummaryMs >= SUMMARY_INTERVAL_MS && sinceSummary.any()) {
                log.info("event=expiry_progress written={} superseded={} failed={} outlived={}", sinceSummary.written,
                        sinceSummary.superseded, sinceSummary.failed, sinceSummary.outlived);
                sinceSummary.clear();
                lastSummaryMs = now;
            }
        } catch (RuntimeException e) {
            log.warn("event=expiry_pass_failed error=\"{}\"", e.toString());
        }
    }

    /**
     * One pass: for each partition this node owns, the index entries due now (within the pass's budget)
     * become expiry tombstones, or, when the key holds another value by now, leave the index. Returns once
     * the tombstones are committed and applied by this node's replica (or {@code write-timeout} passed), so
     * that the next pass does not find them again.
     */
    public synchronized PassResult runPass() {
        PassResult result = new PassResult();
        int budget = settings.budgetPerPass();
        List<TopicPartition> owned = new ArrayList<>(owner.owned());
        owned.sort(Comparator.comparing(TopicPartition::toString));
        if (!owned.isEmpty()) {
            Collections.rotate(owned, (int) (rotation++ % owned.size()));
        }
        long now = clock.getAsLong();
        long deadline = System.nanoTime() + settings.writeTimeout().toNanos();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        long oldest = 0;
        for (TopicPartition tp : owned) {
            NamespaceName namespace = NamespaceName.ofTopic(tp.topic());
            Optional<NamespaceSettings> namespaceSettings = namespace == null ? Optional.empty() : catalog.settings(namespace);
            PartitionReplica replica = namespace == null ? null : replicas.replica(namespace, tp.partition());
            if (namespaceSettings.isEmpty() || replica == null || !replica.serving()) {
                continue;
            }
            List<ExpiryEntry> due;
            try {
                due = replica.expiriesDue(now, budget + 1);
            } catch (RuntimeException e) {
                // One replica's store failing to read its index leaves the others' expiries to this pass.
                log.warn("event=expiry_index_unreadable partition={} error=\"{}\"", tp, e.toString());
                continue;
            }
            if (due.size() > budget) {
                oldest = oldest == 0 ? due.get(budget).expiresAtMs() : Math.min(oldest, due.get(budget).expiresAtMs());
                due = due.subList(0, budget);
            }
            budget -= due.size();
            pending.add(expire(namespace, namespaceSettings.get().partitions(), replica, due, deadline, result));
            if (budget == 0 || result.refused()) {
                // A writer that refuses work at once (too many writes waiting) is not given more by this pass.
                break;
            }
        }
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Expiries still unfinished are counted when they finish, and found again by the next pass if they failed.
        }
        oldestDueMs.set(oldest);
        return result;
    }

    private CompletableFuture<Void> expire(NamespaceName namespace, int partitions, PartitionReplica replica, List<ExpiryEntry> due,
                                           long deadline, PassResult result) {
        List<ExpiryEntry> outlivedEntries = new ArrayList<>();
        List<CompletableFuture<Long>> tombstones = new ArrayList<>();
        for (ExpiryEntry entry : due) {
            RecordEnvelope value = replica.read(entry.key());
            if (value == null || value.expiresAtMs() != entry.expiresAtMs()) {
                outlivedEntries.add(entry);
                continue;
            }
            CompletableFuture<WriteOutcome> tombstone;
            try {
                tombstone = writer.delete(namespace, partitions, entry.key(),
                        WriteCondition.expired(value.version(), entry.expiresAtMs()), null, deadline);
            } catch (WriterOverloadedException e) {
                // Refused unsent: this entry and the rest stay in the index for a later pass.
                result.countRefused();
                failed.increment();
                break;
            }
            tombstones.add(tombstone.handle((outcome, error) -> {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                if (cause == null) {
                    result.countWritten();
                    written.increment();
                    return outcome.position().nextOffset();
                }
                if (cause instanceof PreconditionFailedException) {
                    result.countSuperseded();
                    superseded.increment();
                } else {
                    result.countFailed();
                    failed.increment();
                    log.debug("event=expiry_failed partition={}-{} error=\"{}\"", namespace, replica.partition(), cause.toString());
                }
                return 0L;
            }));
        }
        CompletableFuture<Void> forgotten = outlivedEntries.isEmpty() ? CompletableFuture.completedFuture(null)
                : replicas.forgetOutlivedExpiries(namespace, replica.partition(), outlivedEntries).thenAccept(dropped -> {
                    result.countOutlived(dropped);
                    outlived.increment(dropped);
                });
        CompletableFuture<Void> applied = CompletableFuture.allOf(tombstones.toArray(CompletableFuture[]::new)).thenCompose(done -> {
            long last = tombstones.stream().mapToLong(CompletableFuture::join).max().orElse(0);
            long left = Math.max(1, deadline - System.nanoTime());
            return last == 0 ? CompletableFuture.completedFuture(null)
                    : replica.catchUp().await(last, Duration.ofNanos(left)).thenAccept(caughtUp -> { });
        });
        return CompletableFuture.allOf(forgotten, applied);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    /** What one pass (or several) did. */
    public static final class PassResult {
        private int written;
        private int superseded;
        private int failed;
        private int outlived;
        private boolean refused;

        synchronized void countWritten() {
            written++;
        }

        synchronized void countSuperseded() {
            superseded++;
        }

        synchronized void countFailed() {
            failed++;
        }

        /** A tombstone the writer refused at once, as overloaded: counted as failed, and the pass gives it no more. */
        synchronized void countRefused() {
            failed++;
            refused = true;
        }

        synchronized boolean refused() {
            return refused;
        }

        synchronized void countOutlived(int entries) {
            outlived += entries;
        }

        synchronized void add(PassResult other) {
            written += other.written;
            superseded += other.superseded;
            failed += other.failed;
            outlived += other.outlived;
        }

        synchronized boolean any() {
            return written + superseded + failed + outlived > 0;
        }

        synchronized void clear() {
            written = superseded = failed = outlived = 0;
            refused = false;
        }

        /** Expiry tombstones committed. */
        public synchronized int written() {
            return written;
        }

        /** Expiries refused because the key no longer held the expired value. */
        public synchronized int superseded() {
            return superseded;
        }

        /** Expiries that failed (not owner any more, overload, Kafka); found again by a later pass. */
        public synchronized int failed() {
            return failed;
        }

        /** Index entries dropped because their value had been replaced. */
        public synchronized int outlived() {
            return outlived;
        }

        @Override
        public synchronized String toString() {
            return "written=" + written + " superseded=" + superseded + " failed=" + failed + " outlived=" + outlived;
        }
    }
}
