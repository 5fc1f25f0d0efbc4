package io.logkv.materializer;

import io.logkv.core.Lifecycle;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Where one replica stands ({@link ReplicaState}) and what moves it: it serves once it has applied as far as
 * the log's end was when it opened, or once it is seen caught up; it closes under a lock that reads hold
 * shared, so its store is never closed under a read, and once closed every read of it fails.
 */
final class ReplicaLifecycle {

    private final String name;
    /** Reads hold it shared, closing holds it exclusive: a store is never closed under a read. */
    private final ReentrantReadWriteLock open = new ReentrantReadWriteLock();
    private final Lifecycle<ReplicaState> states;
    /** The state the replica closed from: a closed replica still tells whether it had reached serving. */
    private volatile ReplicaState closedFrom;
    /** The log's end when the replica opened; the replica serves once it has applied that far. None known yet: no position reaches it. */
    private volatile long endAtOpen = Long.MAX_VALUE;

    /** @param name the replica's namespace and partition, as messages name it */
    ReplicaLifecycle(String name) {
        this.name = name;
        this.states = new Lifecycle<>("replica " + name, ReplicaState.REPLAYING);
    }

    /** Whether the replica serves, or had reached serving when it closed (see {@link PartitionReplica#serving()}). */
    boolean serving() {
        ReplicaState state = states.current();
        return state == ReplicaState.SERVING || state == ReplicaState.CLOSED && closedFrom == ReplicaState.SERVING;
    }

    boolean closed() {
        return states.current() == ReplicaState.CLOSED;
    }

    /** Notes the log's end when the replica opened, with the position it has applied by then. */
    void openedAgainst(long end, long applied) {
        endAtOpen = end;
        reached(applied);
    }

    /** Notes a position the replica has applied: it serves once that is as far as the log's end when it opened. */
    void reached(long position) {
        if (position >= endAtOpen) {
            caughtUp();
        }
    }

    /** The replica has been seen caught up with the log's end: it serves. */
    void caughtUp() {
        states.compareAndTransition(ReplicaState.REPLAYING, ReplicaState.SERVING);
    }

    /** Runs {@code read} with the store kept open; fails with {@link ReplicaUnavailableException} once the replica is closed. */
    <T> T whileOpen(String closedMessage, Supplier<T> read) {
        return whileNotClosing(() -> {
            if (closed()) {
                throw new ReplicaUnavailableException(name + closedMessage);
            }
            return read.get();
        });
    }

    /** Runs {@code read} while no close can start (closed or not). */
    <T> T whileNotClosing(Supplier<T> read) {
        open.readLock().lock();
        try {
            return read.get();
        } finally {
            open.readLock().unlock();
        }
    }

    /** Closes the replica, running {@code closing} (which closes or deletes its store) once no read holds it open. */
    void close(Runnable closing) {
        open.writeLock().lock();
        try {
            closedFrom = states.transition(ReplicaState.CLOSED);
            closing.run();
        } finally {
            open.writeLock().unlock();
        }
    }
}
