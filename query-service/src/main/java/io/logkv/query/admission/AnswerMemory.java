package io.logkv.query.admission;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of values that the node's answers reading many keys (batch-gets, scan pages, {@code MGET}) may hold at
 * once, all together ({@code logkv.shedding.max-answer-bytes-in-flight}). Each such answer is bounded on its own
 * ({@code logkv.replicas.max-answer-bytes}); this bounds their sum, which concurrent requests would otherwise make
 * hundreds of times that.
 *
 * <p>An answer opens a {@link Grant} and takes each value's bytes from it as the value is read: while the node has
 * room, the value joins the answer; without room, it is let go and the answer ends there, as it does at its own bound
 * (a batch-get's {@code unread}, a scan's continuation; {@code MGET}, which has no partial answer, is an error). The
 * first value of each part of an answer (a partition it reads) is always taken, room or not, so that every answer
 * moves on: the node may pass the bound by one value per part of the answers in flight. Room is taken only for values
 * read, so answers of small values, or answers waiting for their replicas, hold next to nothing. The bytes are given
 * back once the answer has been sent (or its connection failed), not when it has been built: until then they are
 * still held, encoded.
 */
public final class AnswerMemory {

    static final String HELD_METER = "logkv.answers.held";
    private static final String REQUEST_ATTRIBUTE = AnswerMemory.class.getName() + ".grant";

    private final long capacity;
    private final AtomicLong held = new AtomicLong();
    private final Refusals refusals;

    /** @param capacity bytes all answers may hold at once; 0 or less: no bound (what they hold is still counted) */
    public AnswerMemory(long capacity, Refusals refusals, MeterRegistry meters) {
        this.capacity = capacity <= 0 ? Long.MAX_VALUE : capacity;
        this.refusals = refusals;
        Gauge.builder(HELD_METER, held, AtomicLong::get)
                .description("Bytes of values in answers of many keys (batch-get, scan, MGET) not sent yet"
                        + " (logkv.shedding.max-answer-bytes-in-flight bounds them)")
                .baseUnit("bytes")
                .register(meters);
    }

    /** An answer's account of the bytes it holds, empty; given back by {@link Grant#close()}. */
    public Grant open() {
        return new Grant();
    }

    /**
     * The account of the answer to {@code request}, opened on first use and given back by {@link #releaseWhenAnswered}
     * once the answer is sent.
     */
    public Grant of(HttpServletRequest request) {
        if (request.getAttribute(REQUEST_ATTRIBUTE) instanceof Grant grant) {
            return grant;
        }
        Grant grant = open();
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

    /** The bytes one answer holds, taken value by value and given back at once when it is closed. */
    public final class Grant implements AutoCloseable {
        private long bytes;
        private boolean closed;

        private Grant() {
        }

        /**
         * Takes a value's bytes: always when {@code forced} (an answer's first value of a part), otherwise only while
         * the node holds no more than its bound with them.
         *
         * @return whether the value may join the answer; false once the grant is closed (the answer was given up)
         */
        public synchronized boolean take(long valueBytes, boolean forced) {
            if (closed) {
                return false;
            }
            while (true) {
                long now = held.get();
                if (!forced && now + valueBytes > capacity) {
                    refusals.countAnswerCut();
                    return false;
                }
                if (held.compareAndSet(now, now + valueBytes)) {
                    bytes += valueBytes;
                    return true;
                }
            }
        }

        /** The bytes this answer holds. */
        public synchronized long bytes() {
            return bytes;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                held.addAndGet(-bytes);
                bytes = 0;
            }
        }
    }
}
