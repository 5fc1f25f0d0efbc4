package io.logkv.core;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The state of something that lives through a fixed set of states (an owned partition, a replica), and
 * the only way to move it: every transition is checked against the table of allowed ones its states
 * define, so an impossible move fails loudly instead of leaving a flag half-set. Thread-safe.
 *
 * @param <S> the states, an enum whose constants say which successors they allow
 */
public final class Lifecycle<S extends Enum<S> & Lifecycle.State<S>> {

    /** A state of a lifecycle, and the table of its transitions. */
    public interface State<S> {
        /** Whether a lifecycle in this state may move to {@code next}. */
        boolean mayBecome(S next);
    }

    private final String name;
    private final AtomicReference<S> current;

    /** @param name names the thing in the message of a refused transition */
    public Lifecycle(String name, S initial) {
        this.name = name;
        this.current = new AtomicReference<>(initial);
    }

    /** The current state. */
    public S current() {
        return current.get();
    }

    /**
     * Moves from {@code from} to {@code to} if the state is still {@code from}.
     *
     * @return false when the state had already changed (nothing moved)
     * @throws IllegalStateException when {@code from} may never become {@code to}
     */
    public boolean compareAndTransition(S from, S to) {
        check(from, to);
        return current.compareAndSet(from, to);
    }

    /**
     * Moves to {@code to} from whatever the state is.
     *
     * @return the state it left
     * @throws IllegalStateException when the current state may never become {@code to}
     */
    public S transition(S to) {
        while (true) {
            S from = current.get();
            check(from, to);
            if (current.compareAndSet(from, to)) {
                return from;
            }
        }
    }

    private void check(S from, S to) {
        if (!from.mayBecome(to)) {
            throw new IllegalStateException(name + " may not go from " + from + " to " + to);
        }
    }

    @Override
    public String toString() {
        return name + ":" + current.get();
    }
}
