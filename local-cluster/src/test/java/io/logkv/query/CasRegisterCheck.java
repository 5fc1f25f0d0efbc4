package io.logkv.query;

/**
 * The query service's linearizability checker of compare-and-set histories ({@link CasRegisterHistory},
 * package-private there, published in its test-jar) opened to the process-level fault runs of
 * {@code local-cluster}, so that both check histories with the same code.
 */
public final class CasRegisterCheck {

    /** What a compare-and-set's client learned: it took effect, it certainly did not, or nobody knows. */
    public enum Outcome { OK, FAILED, UNKNOWN }

    private final CasRegisterHistory history = new CasRegisterHistory();

    /** A read that observed {@code observed} (null: absent), invoked and answered at these times (nanoTime). */
    public void read(String observed, long invokedNanos, long returnedNanos) {
        history.read(observed, invokedNanos, returnedNanos);
    }

    /**
     * A compare-and-set from {@code expected} to {@code written} (null: absent, for put-if-absent and
     * conditional deletes). An {@link Outcome#OK} with {@code returnedNanos = Long.MAX_VALUE} is one known
     * to have taken effect (it is in the log) whose answer never came.
     */
    public void compareAndSet(String expected, String written, Outcome outcome, long invokedNanos, long returnedNanos) {
        CasRegisterHistory.Outcome mapped = switch (outcome) {
            case OK -> CasRegisterHistory.Outcome.OK;
            case FAILED -> CasRegisterHistory.Outcome.FAILED;
            case UNKNOWN -> CasRegisterHistory.Outcome.UNKNOWN;
        };
        history.compareAndSet(expected, written, mapped, invokedNanos, returnedNanos);
    }

    public int size() {
        return history.ops().size();
    }

    /** Whether some order of the operations, consistent with real time, is what one register starting at {@code initial} answers. */
    public boolean isLinearizable(String initial) {
        return history.isLinearizable(initial);
    }
}
