package io.logkv.writer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** The write path's meters, shared by every partition writer of a node. */
final class WriterMeters {

    private final Timer commitTimer;
    private final DistributionSummary batchRecords;
    private final Counter failedWrites;
    private final Counter preconditionFailures;
    private final Counter partitionsReleased;
    private final Counter statesRechecked;
    private final Counter refusedUnsent;
    private final Counter refusedCommitted;

    WriterMeters(MeterRegistry meters) {
        this.commitTimer = Timer.builder("logkv.writer.commit").description("Time to commit one transaction")
                .publishPercentileHistogram().register(meters);
        this.batchRecords = DistributionSummary.builder("logkv.writer.batch.records")
                .description("Records per transaction (group commit)").register(meters);
        this.failedWrites = Counter.builder("logkv.writer.failed").description("Writes not acknowledged").register(meters);
        this.preconditionFailures = Counter.builder("logkv.writer.precondition.failed")
                .description("Conditional writes whose condition did not hold").register(meters);
        this.partitionsReleased = Counter.builder("logkv.writer.partitions.released")
                .description("Partitions this node stopped owning (revoked or lost by a rebalance, or fenced)").register(meters);
        this.statesRechecked = Counter.builder("logkv.writer.state.rechecked")
                .description("Failed conditions checked again after the writer found the log longer than it knew (another writer"
                        + " had written: this node was deposed, or a transaction of its own was aborted)").register(meters);
        String refusals = "Batches whose writes were not acknowledged because a home lease on their namespace did not hold or this"
                + " node's view of the namespace registry was too old";
        this.refusedUnsent = Counter.builder("logkv.writer.home.lease.refusals").tag("batch", "unsent")
                .description(refusals).register(meters);
        this.refusedCommitted = Counter.builder("logkv.writer.home.lease.refusals").tag("batch", "committed")
                .description(refusals).register(meters);
    }

    /**
     * A batch refused by the home leases ({@link HomeLeases}): before it was sent, or after its commit (its writes
     * answered with an unknown outcome).
     */
    void homeLeaseRefused(boolean committed) {
        (committed ? refusedCommitted : refusedUnsent).increment();
    }

    void committed(long nanos, int writes) {
        commitTimer.record(nanos, TimeUnit.NANOSECONDS);
        batchRecords.record(writes);
    }

    void failed() {
        failedWrites.increment();
    }

    void partitionReleased() {
        partitionsReleased.increment();
    }

    void stateRechecked() {
        statesRechecked.increment();
    }

    void preconditionFailed() {
        preconditionFailures.increment();
    }
}
