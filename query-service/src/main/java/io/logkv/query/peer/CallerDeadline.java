package io.logkv.query.peer;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * How long the caller of a forwarded request still waits for it. A node that forwards a request sends its
 * own time left in {@value ApiHeaders#TIME_LEFT_MS} (milliseconds, relative) and the moment it gives up in
 * {@value ApiHeaders#DEADLINE_EPOCH_MS} (epoch milliseconds by its clock); the node that receives it stops working on
 * the request by the earlier of the two: a write not yet sent to Kafka is refused unsent, a read stops
 * waiting for its replica. So a forwarded request never outlives its caller, and a write the caller has
 * already answered 503 for is never committed behind its back. The relative bound needs no clock; the
 * absolute one catches a request that sat unread in a hung process (SIGSTOP, a long GC pause) for longer
 * than its caller waited, and relies on the nodes' clocks agreeing (NTP) to well under the forward timeouts:
 * a receiver whose clock runs ahead refuses early (safe), one that runs behind keeps a write that much longer.
 */
public final class CallerDeadline {

    /** At most this much (and at most a tenth of the time left) is kept back for the answer's way back. */
    private static final Duration MARGIN = Duration.ofMillis(200);

    private CallerDeadline() {
    }

    /**
     * The shorter of {@code own} and the time left that a forwarding node sent; {@code own} for a request
     * that was not forwarded.
     */
    public static Duration bound(HttpServletRequest request, Duration own) {
        return bound(request::getHeader, own);
    }

    /** The same, from a request's headers looked up by name. */
    public static Duration bound(UnaryOperator<String> headers, Duration own) {
        if (headers.apply(ApiHeaders.FORWARDED_BY) == null) {
            return own;
        }
        long millis = Math.min(millis(headers, ApiHeaders.TIME_LEFT_MS, 0), millis(headers, ApiHeaders.DEADLINE_EPOCH_MS, System.currentTimeMillis()));
        if (millis == Long.MAX_VALUE) {
            return own;
        }
        // Give up a little before the caller does, so that the caller relays this node's answer rather than
        // timing out itself.
        Duration left = Duration.ofMillis(Math.max(0, millis - Math.min(millis / 10, MARGIN.toMillis())));
        return left.compareTo(own) < 0 ? left : own;
    }

    /** A header's milliseconds minus {@code base}; {@code Long.MAX_VALUE} when absent; 400 when malformed. */
    private static long millis(UnaryOperator<String> headers, String header, long base) {
        String value = headers.apply(header);
        if (value == null) {
            return Long.MAX_VALUE;
        }
        long millis;
        try {
            millis = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            millis = -1;
        }
        if (millis < 0) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_TIME_LEFT, header + " must be a whole number of milliseconds");
        }
        return millis - base;
    }

    /** The headers a forwarding node sends for a request it waits {@code timeout} for. */
    public static void send(java.util.function.BiConsumer<String, String> headers, Duration timeout) {
        headers.accept(ApiHeaders.TIME_LEFT_MS, Long.toString(timeout.toMillis()));
        headers.accept(ApiHeaders.DEADLINE_EPOCH_MS, Long.toString(System.currentTimeMillis() + timeout.toMillis()));
    }
}
