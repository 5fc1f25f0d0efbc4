package io.logkv.materializer;

import io.logkv.core.CommandQueue;
import org.apache.kafka.clients.consumer.Consumer;

/**
 * Faults injected into the replica applier, to show what a node does when its replicas stop following the
 * log: the polling thread dies of an error nothing handles, as it would of a bug or an out-of-memory error.
 */
final class ApplierFaults {

    private ApplierFaults() {
    }

    /** Queues the applier's death: it dies at its next turn, of an error nothing handles. */
    static void kill(CommandQueue<Consumer<byte[], byte[]>> commands) {
        commands.post(consumer -> {
            throw new ApplierKilled();
        });
    }

    /** What {@link #kill} throws on the polling thread (where commands run). */
    private static final class ApplierKilled extends Error {
        ApplierKilled() {
            super("the replica applier was killed by fault injection");
        }
    }
}
