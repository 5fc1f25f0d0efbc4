package io.logkv.materializer;

import org.apache.kafka.common.TopicPartition;

/** A replica was asked for its state at a position it has already applied beyond. */
public final class PositionPassedException extends RuntimeException {

    private final long applied;

    PositionPassedException(TopicPartition tp, long position, long applied) {
        super(tp + " has applied position " + applied + ", beyond the requested " + position);
        this.applied = applied;
    }

    /** The position the replica had applied. */
    public long applied() {
        return applied;
    }
}
