package io.logkv.client.http;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The lines of one event stream, taken one at a time by a watch's reader thread, with a bound on how long it waits
 * for the next. A line is asked of the connection only once the previous one is taken, so a reader held back by its
 * subscriber holds the connection back, and only time spent waiting for the node counts as silence: a stream silent
 * for longer than the idle timeout (a frozen node, a partition that closed nothing) fails, which a blocking read of
 * the body would never do. Closing ends the connection.
 */
final class EventStreamLines implements Flow.Subscriber<String>, AutoCloseable {

    /** Marks the stream's end among the lines. */
    private static final Object END = new Object();

    private final long idleTimeoutNanos;
    private final Duration idleTimeout;
    /** What came, in order: lines (at most one waits, as one is asked for at a time), then {@link #END} or the failure. */
    private final BlockingQueue<Object> arrived = new LinkedBlockingQueue<>();
    /** Guarded by this: the body's subscription once it has come, and whether the lines were closed. */
    private Flow.Subscription subscription;
    private boolean closed;

    private EventStreamLines(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
        this.idleTimeoutNanos = TimeUnit.NANOSECONDS.convert(idleTimeout); // saturates: a huge timeout waits "forever"
    }

    /** The lines of {@code body} (a response's bytes as they come, UTF-8 as event streams are), none waited for longer than {@code idleTimeout}. */
    static EventStreamLines of(Flow.Publisher<List<ByteBuffer>> body, Duration idleTimeout) {
        EventStreamLines lines = new EventStreamLines(idleTimeout);
        body.subscribe(HttpResponse.BodySubscribers.fromLineSubscriber(lines));
        return lines;
    }

    /**
     * The next line, or null once the stream has ended.
     *
     * @throws HttpTimeoutException when no line came within the idle timeout
     * @throws IOException          when the stream broke
     */
    String next() throws IOException, InterruptedException {
        Object item = arrived.poll(idleTimeoutNanos, TimeUnit.NANOSECONDS);
        if (item == null) {
            throw new HttpTimeoutException("the event stream was silent for " + idleTimeout);
        }
        if (item == END) {
            arrived.add(END); // still the end, if asked again
            return null;
        }
        if (item instanceof Throwable failure) {
            throw new IOException("the event stream broke: " + failure, failure);
        }
        subscription().request(1);
        return (String) item;
    }

    /** The lines left, joined by newlines (a refusal's body). */
    String rest() throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        for (String line = next(); line != null; line = next()) {
            text.append(text.isEmpty() ? "" : "\n").append(line);
        }
        return text.toString();
    }

    @Override
    public void onSubscribe(Flow.Subscription given) {
        boolean cancel;
        synchronized (this) {
            cancel = closed;
            subscription = given;
        }
        if (cancel) {
            given.cancel();
        } else {
            given.request(1);
        }
    }

    @Override
    public void onNext(String line) {
        arrived.add(line);
    }

    @Override
    public void onError(Throwable failure) {
        arrived.add(failure);
    }

    @Override
    public void onComplete() {
        arrived.add(END);
    }

    /** Ends the stream: the connection is given up (a stream not read to its end cannot be reused). */
    @Override
    public void close() {
        Flow.Subscription toCancel;
        synchronized (this) {
            closed = true;
            toCancel = subscription;
        }
        if (toCancel != null) {
            toCancel.cancel();
        }
    }

    private synchronized Flow.Subscription subscription() {
        return subscription;
    }
}
