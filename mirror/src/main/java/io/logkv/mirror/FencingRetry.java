package io.logkv.mirror;

import io.logkv.writer.KafkaErrors;
import io.logkv.writer.KafkaUnavailableException;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;

/**
 * A step that takes a mirror's transactional id (a promotion's revocation or lease handover) runs again when a mirror
 * instance starting meanwhile takes the id back before the step has committed: each instance's start fences first and
 * only then finds that it must refuse, so the step wins once its own commit falls between two starts.
 * <p>
 * Taken back shows in three ways. {@code PRODUCER_FENCED} and {@code INVALID_PRODUCER_EPOCH} are the plain ones. With
 * transactions version 2, a commit that reaches the coordinator just after it aborted the transaction itself (for
 * another instance's start, or a timeout) carries the epoch before that abort's bump, passes as a retry, and is answered
 * {@code INVALID_TXN_STATE} instead: the transaction is aborted all the same, and nothing of the step was committed.
 */
final class FencingRetry {

    /** How many times a step takes the id before it gives up. */
    static final int MAX_ATTEMPTS = 10;

    private FencingRetry() {
    }

    /**
     * Runs {@code step} until it completes without being fenced, pausing a little longer each time.
     *
     * @throws KafkaUnavailableException when it was fenced {@link #MAX_ATTEMPTS} times
     */
    static <T> T run(String what, Supplier<T> step) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return step.get();
            } catch (RuntimeException e) {
                if (!fenced(e) || attempt == MAX_ATTEMPTS) {
                    if (fenced(e)) {
                        throw new KafkaUnavailableException("could not " + what + ": a mirror took its transactional id back "
                                + MAX_ATTEMPTS + " times", e);
                    }
                    throw e;
                }
                Thread.sleep(100L * attempt);
            }
        }
    }

    private static boolean fenced(Throwable error) {
        return KafkaErrors.causedBy(error, ProducerFencedException.class, InvalidProducerEpochException.class, InvalidTxnStateException.class);
    }
}
