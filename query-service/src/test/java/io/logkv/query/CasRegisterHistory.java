package io.logkv.query;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A concurrent history of reads and compare-and-sets on one register whose states are versions, and a
 * Wing-Gong linearizability check of it (with the memoization of Lowe's refinement): is there a total
 * order of the operations, consistent with real time, in which every operation's result is what a single
 * register would have answered? Operations whose outcome is unknown may take effect or not.
 */
final class CasRegisterHistory {

    enum Outcome { OK, FAILED, UNKNOWN }

    /**
     * One operation. A read has {@code expected == observed}; a compare-and-set moves {@code expected} to
     * {@code written}. Null means "absent".
     */
    record Op(boolean read, String expected, String written, Outcome outcome, long invokedNanos, long returnedNanos) {
    }

    private final List<Op> ops = new ArrayList<>();

    synchronized void read(String observed, long invoked, long returned) {
        ops.add(new Op(true, observed, observed, Outcome.OK, invoked, returned));
    }

    synchronized void compareAndSet(String expected, String written, Outcome outcome, long invoked, long returned) {
        ops.add(new Op(false, expected, written, outcome, invoked, outcome == Outcome.UNKNOWN ? Long.MAX_VALUE : returned));
    }

    synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    /** Whether the history is linearizable from {@code initial}. */
    synchronized boolean isLinearizable(String initial) {
        // The search recurses once per operation: thousands deep for a long history, so it gets a big stack.
        boolean[] result = new boolean[1];
        Thread searcher = new Thread(null, () -> result[0] = search(new BitSet(ops.size()), initial, new HashSet<>()),
                "linearizability-check", 1L << 30);
        searcher.start();
        try {
            searcher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return result[0];
    }

    private boolean search(BitSet done, String state, Set<Object> seen) {
        if (!seen.add(List.of(done.clone(), Objects.toString(state)))) {
            return false;
        }
        long horizon = Long.MAX_VALUE;
        boolean pendingKnown = false;
        for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
            horizon = Math.min(horizon, ops.get(i).returnedNanos());
            pendingKnown |= ops.get(i).outcome() != Outcome.UNKNOWN;
        }
        if (!pendingKnown) {
            return true; // what is left may never have taken effect
        }
        for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
            Op op = ops.get(i);
            if (op.invokedNanos() > horizon) {
                continue; // some unfinished operation returned before this one began
            }
            String next = apply(op, state);
            boolean legal = next != INVALID;
            if (legal) {
                done.set(i);
                if (search(done, next, seen)) {
                    return true;
                }
                done.clear(i);
            }
            if (op.outcome() == Outcome.UNKNOWN) {
                done.set(i); // or it never took effect
                if (search(done, state, seen)) {
                    return true;
                }
                done.clear(i);
            }
        }
        return false;
    }

    private static final String INVALID = new String("invalid");

    private static String apply(Op op, String state) {
        boolean matches = Objects.equals(op.expected(), state);
        if (op.read()) {
            return matches ? state : INVALID;
        }
        return switch (op.outcome()) {
            case OK, UNKNOWN -> matches ? op.written() : INVALID;
            case FAILED -> matches ? INVALID : state;
        };
    }
}
