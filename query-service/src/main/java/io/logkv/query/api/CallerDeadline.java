package io.logkv.query.api;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;

/**
 * How long the caller of a forwarded request still waits for it. A node that forwards a request sends its
 * own time left in {@value #HEADER} (milliseconds, relative, so the nodes' clocks need not agree); the
 * node that receives it stops working on the request by then: a write not yet sent to Kafka is refused
 * unsent, a read stops waiting for its replica. So a forwarded request never outlives its caller, and a
 * write the caller has already answered 503 for is never committed behind its back.
 */
final class CallerDeadline {

    /** The forwarding node's time left, in milliseconds. */
    static final String HEADER = "KV-Time-Left-Ms";
    /** At most this much (and at most a tenth of the time left) is kept back for the answer's way back. */
    private static final Duration MARGIN = Duration.ofMillis(200);

    private CallerDeadline() {
    }

    /**
     * The shorter of {@code own} and the time left that a forwarding node sent; {@code own} for a request
     * that was not forwarded.
     */
    static Duration bound(HttpServletRequest request, Duration own) {
        String timeLeft = request.getHeader(HEADER);
        if (timeLeft == null || request.getHeader(Peers.FORWARDED_HEADER) == null) {
            return own;
        }
        long millis;
        try {
            millis = Long.parseLong(timeLeft.strip());
        } catch (NumberFormatException e) {
            millis = -1;
        }
        if (millis < 0) {
            throw ApiProblem.badRequest("bad-time-left", HEADER + " must be a whole number of milliseconds");
        }
        // Give up a little before the caller does, so that the caller relays this node's answer rather than
        // timing out itself.
        Duration left = Duration.ofMillis(millis - Math.min(millis / 10, MARGIN.toMillis()));
        return left.compareTo(own) < 0 ? left : own;
    }
}
