package io.logkv.writer;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.KafkaException;

/**
 * Fault injection into a node's writers, for tests that show what a deposed or failing owner does: a
 * stall (a frozen node) and aborted transactions (a broker failing mid-transaction).
 */
final class OwnerFaults {

    private final AtomicInteger abortsToInject = new AtomicInteger();
    private final BooleanSupplier running;
    private volatile boolean stalled;

    /** @param running whether the owner still runs: a stall ends when it stops */
    OwnerFaults(BooleanSupplier running) {
        this.running = running;
    }

    void stall() {
        stalled = true;
    }

    void resume() {
        stalled = false;
    }

    void abortNextTransactions(int count) {
        abortsToInject.set(count);
    }

    int injectedAbortsLeft() {
        return Math.max(0, abortsToInject.get());
    }

    /** Runs after a batch's records are sent and before its commit: blocks while stalled, throws to abort. */
    void beforeCommit() {
        holdWhileStalled();
        if (abortsToInject.get() > 0 && abortsToInject.getAndDecrement() > 0) {
            throw new KafkaException("injected abort (fault injection)");
        }
    }

    /** Blocks the calling thread while the node is stalled (and still running). */
    void holdWhileStalled() {
        while (stalled && running.getAsBoolean()) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
