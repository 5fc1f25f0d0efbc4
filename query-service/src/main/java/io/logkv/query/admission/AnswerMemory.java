package io.logkv.query.admission;

import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of values that the node's answers reading many keys (batch-gets, scan pages, {@code MGET}) may hold at
 * once, all together ({@code logkv.shedding.max-answer-bytes-in-flight}). Each such answer is bounded on its own
 * ({@code logkv.replicas.max-answer-bytes}); this bounds their sum, which concurrent requests would otherwise make
 * hundreds of times that.
 *
 * <p>An answer takes a {@link Grant} before it reads: its whole bound when the node has room for it, less when the
 * node has less room (the answer then ends earlier, as a batch-get's {@code unread} or a scan's continuation say),
 * and never less than the largest value ({@code logkv.limits.max-value-bytes}), so that every answer can carry one.
 * When the node has not even that much room the request is refused at once: {@code 503 overloaded} with
 * {@code Retry-After}. The grant is given back once the answer has been sent (or its connection failed), not when it
 * has been built: until then its bytes are still held, encoded.
 *
 * <p>What this bounds: the values taken into answers within their grants. Each part of an answer (a partition it
 * reads) always takes its first value, whatever its share, so an answer may pass its grant by at most one value per
 * partition read; single-key reads are bounded by {@code logkv.shedding.max-active-requests} and the value limit instead.
 */
public final class AnswerMemory {

    static final String HELD_METER = "logkv.answers.held";
    private static final String REQUEST_ATTRIBUTE = AnswerMemory.class.getName() + ".grant";

    private final long capacity;
    private final long leastGrant;
    private final Duration retryAfter;
    private final AtomicLong held = new AtomicLong();
    private final Refusals refusals;

    /**
     * @param capacity   bytes all answers may hold at once; 0 or less: no bound (grants are still counted)
     * @param leastGrant the least an answer is granted (the largest value); less room than this refuses it
     */
    public AnswerMemory(long capacity, long leastGrant, Duration retryAfter, Refusals refusals, MeterRegistry meters) {
        this.capacity = capacity <= 0 ? Long.MAX_VALUE : capacity;
        this.leastGrant = Math.max(1, leastGrant);
        this.retryAfter = retryAfter;
        Gauge.builder(HELD_METER, held, AtomicLong::get)
                .description("Bytes granted to answers of many keys (batch-get, scan, MGET) not sent yet"
                        + " (logkv.shedding.max-answer-bytes-in-flight bounds them)")
                .baseUnit("bytes")
                .register(meters);
        this.refusals = refusals;
    }

    /**
     * Grants an answer up to {@code wanted} bytes: all of them when the node has room, what room there is when that is
     * at least the least grant (or {@code wanted}, when smaller).
     *
     * @throws ApiProblem {@code 503 overloaded} when the node has less room than that
     */
    public Grant grant(long wanted) {
        long least = Math.min(wanted, leastGrant);
        while (true) {
            long now = held.get();
            long room = capacity - now;
            if (room < least) {
                refusals.countOverloadedAnswers();
                throw ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Overloaded",
                        "this node's answers of many keys hold " + now + " bytes of values, with room for " + Math.max(0, room)
                                + " more (logkv.shedding.max-answer-bytes-in-flight); ask again, or for fewer keys", retryAfter);
            }
            long bytes = Math.min(wanted, room);
            if (held.compareAndSet(now, now + bytes)) {
                return new Grant(bytes);
            }
        }
    }

    /**
     * Grants the answer to {@code request}, given back by {@link #releaseWhenAnswered} once the answer is sent.
     *
     * @see #grant(long)
     */
    public Grant grant(HttpServletRequest request, long wanted) {
        Grant grant = grant(wanted);
        Object earlier = request.getAttribute(REQUEST_ATTRIBUTE);
        if (earlier instanceof Grant previous) {
            previous.close();
        }
        request.setAttribute(REQUEST_ATTRIBUTE, grant);
        return grant;
    }

    /**
     * Gives back the grant of {@code request}'s answer, if it took one: now when the request was answered on its
     * thread, when its asynchronous answer has been sent (or failed) otherwise. Called once the request's thread is
     * done with it.
     */
    static void releaseWhenAnswered(HttpServletRequest request) {
        if (!(request.getAttribute(REQUEST_ATTRIBUTE) instanceof Grant grant)) {
            return;
        }
        if (!request.isAsyncStarted()) {
            grant.close();
            return;
        }
        try {
            request.getAsyncContext().addListener(new AsyncListener() {
                @Override
                public void onComplete(AsyncEvent event) {
                    grant.close();
                }

                @Override
                public void onError(AsyncEvent event) {
                    grant.close();
                }

                @Override
                public void onTimeout(AsyncEvent event) {
                    // answered by the container's timeout handling, then completed: onComplete gives it back
                }

                @Override
                public void onStartAsync(AsyncEvent event) {
                }
            });
        } catch (IllegalStateException completed) {
            grant.close(); // the answer was already complete
        }
    }

    /** Bytes granted and not given back. */
    public long held() {
        return held.get();
    }

    /** Bytes granted to one answer, given back once (closing again does nothing). */
    public final class Grant implements AutoCloseable {
        private final long bytes;
        private final AtomicBoolean released = new AtomicBoolean();

        private Grant(long bytes) {
            this.bytes = bytes;
        }

        /** The bytes of values the answer may hold. */
        public long bytes() {
            return bytes;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                held.addAndGet(-bytes);
            }
        }
    }
}
