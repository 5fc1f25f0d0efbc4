package io.logkv.client.http;

import io.logkv.core.ApiHeaders;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * A watch as a {@link Flow.Publisher} of {@link Change}s: one subscriber, fed from the node's server-sent
 * events with backpressure (a subscriber that requests slowly holds the connection back, and a node that
 * drops the slow stream is reconnected to). The stream resumes after its last change whenever it ends
 * (the node's {@code reconnect} or {@code dropped}, a node gone, a network error) or falls silent for longer than
 * the client's {@code watchIdleTimeout} (a node heartbeats a quiet stream, so silence means a frozen node or a
 * partition that closed nothing), on the configured nodes in turn, so the subscriber sees every change once, in log
 * order per partition, until it cancels. After a round of nodes that all refused or failed, it waits a pause, or the
 * longest {@code Retry-After} they asked for, spread at random ({@link Backoff}).
 */
final class Watch implements Flow.Publisher<Change> {

    private static final Duration PAUSE = Duration.ofMillis(500);

    private final LogKvClient.Engine engine;
    private final String namespace;
    private final String prefix;
    private final String fromToken;

    Watch(LogKvClient.Engine engine, String namespace, String prefix, String fromToken) {
        this.engine = engine;
        this.namespace = namespace;
        this.prefix = prefix;
        this.fromToken = fromToken;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super Change> subscriber) {
        SubmissionPublisher<Change> publisher = new SubmissionPublisher<>(Runnable::run, Flow.defaultBufferSize());
        Thread reader = new Thread(() -> read(publisher), "logkv-client-watch-" + namespace);
        reader.setDaemon(true);
        // A cancel wakes the reader wherever it waits (a silent stream, a pause between rounds): it lets the stream go
        // at once, not when the next line or the idle timeout comes. A cancel before the reader starts leaves no subscriber.
        publisher.subscribe(new CancelWakes(subscriber, reader));
        reader.start();
    }

    /** The subscriber, whose subscription's cancel also interrupts the watch's reader thread. */
    private record CancelWakes(Flow.Subscriber<? super Change> subscriber, Thread reader) implements Flow.Subscriber<Change> {

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    subscription.request(n);
                }

                @Override
                public void cancel() {
                    subscription.cancel();
                    reader.interrupt();
                }
            });
        }

        @Override
        public void onNext(Change change) {
            subscriber.onNext(change);
        }

        @Override
        public void onError(Throwable failure) {
            subscriber.onError(failure);
        }

        @Override
        public void onComplete() {
            subscriber.onComplete();
        }
    }

    private void read(SubmissionPublisher<Change> publisher) {
        Resume resume = new Resume(fromToken);
        // Until the subscriber cancels or the client is closed (its timer is shut down then).
        while (!publisher.isClosed() && publisher.hasSubscribers() && !engine.timer().isShutdown()) {
            // The longest Retry-After of the round's refusals (an overloaded node, too many watches): waited before the next.
            Duration asked = null;
            for (String node : engine.routes().any()) {
                if (!publisher.hasSubscribers()) {
                    break;
                }
                try {
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node + "/v1/namespaces/" + LogKvClient.segment(namespace)
                            + "/watch" + (prefix == null ? "" : "?prefix=" + LogKvClient.segment(prefix))))
                            .header("Accept", "text/event-stream").GET()
                            .timeout(engine.watchIdleTimeout()); // the wait for the answer's head; the lines bound the rest
                    if (resume.id != null) {
                        request.header(resume.isToken ? ApiHeaders.TOKEN : "Last-Event-ID", resume.id);
                    }
                    HttpResponse<Flow.Publisher<List<ByteBuffer>>> response = engine.http().send(engine.credentials().applyTo(request).build(),
                            HttpResponse.BodyHandlers.ofPublisher());
                    try (EventStreamLines lines = EventStreamLines.of(response.body(), engine.watchIdleTimeout())) {
                        if (response.statusCode() != 200) {
                            String body = lines.rest();
                            if (refusedForGood(response.statusCode())) {
                                // Asking again, here or on another node, would be refused the same way: the subscriber is told.
                                publisher.closeExceptionally(new LogKvException(response.statusCode(), problemType(body),
                                        "the watch of " + namespace + " was refused: " + body, null, null));
                                return;
                            }
                            Duration retryAfter = RetryAfter.of(response.headers());
                            if (retryAfter != null && (asked == null || retryAfter.compareTo(asked) > 0)) {
                                asked = retryAfter;
                            }
                            continue;
                        }
                        events(lines, publisher, resume);
                    }
                } catch (java.io.IOException | RuntimeException failed) {
                    // the node went away, the stream broke or fell silent: resume on the next node
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    publisher.close();
                    return;
                }
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Backoff.next(PAUSE, asked).toNanos());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        publisher.close();
    }

    /** Whether a refusal of the watch would be the same on any node and later: a bad request, a missing right or namespace. */
    private static boolean refusedForGood(int status) {
        return status == 400 || status == 401 || status == 403 || status == 404;
    }

    private String problemType(String body) {
        try {
            return engine.json().readTree(body).path("type").asString(null);
        } catch (RuntimeException notAProblem) {
            return null;
        }
    }

    /**
     * Where the next stream resumes: the id of the last event this client has taken in (a change once published, the
     * others as they come), kept as each comes so that a stream that breaks mid-way resumes after what it delivered.
     */
    private static final class Resume {
        private String id;
        /**
         * Whether {@link #id} is the token the watch was asked to start after (sent as {@code KV-Token}, which may hold
         * several values, as a session's does), not an event's id.
         */
        private boolean isToken;

        Resume(String fromToken) {
            this.id = fromToken;
            this.isToken = fromToken != null;
        }

        void after(String eventId) {
            if (eventId != null) {
                id = eventId;
                isToken = false;
            }
        }
    }

    /**
     * Publishes a stream's changes until it ends, moving {@code resume} past each event taken in; a stream silent
     * for longer than the idle timeout ends with an {@link java.net.http.HttpTimeoutException}.
     */
    private void events(EventStreamLines lines, SubmissionPublisher<Change> publisher, Resume resume)
            throws java.io.IOException, InterruptedException {
        List<String> block = new ArrayList<>();
        while (publisher.hasSubscribers()) {
            String line = lines.next();
            if (line == null) {
                break;
            }
            if (!line.isEmpty()) {
                block.add(line);
                continue;
            }
            String id = null;
            String event = null;
            StringBuilder data = new StringBuilder();
            for (String field : block) {
                if (field.startsWith("id:")) {
                    id = field.substring(3).strip();
                } else if (field.startsWith("event:")) {
                    event = field.substring(6).strip();
                } else if (field.startsWith("data:")) {
                    data.append(field.substring(5).strip());
                }
            }
            block.clear();
            if (event == null || event.equals("ready")) {
                resume.after(id);
                continue;
            }
            if (event.equals("reconnect") || event.equals("dropped")) {
                resume.after(id);
                break;
            }
            JsonNode change = engine.json().readTree(data.toString());
            String value = change.path("value").asString(null);
            String expiresAt = change.path("expiresAt").asString(null);
            publisher.submit(new Change(event, change.path("key").asString(), change.path("partition").asInt(),
                    change.path("position").asLong(), change.path("version").asString(null), change.path("contentType").asString(null),
                    value == null ? null : Base64.getDecoder().decode(value), expiresAt == null ? null : Instant.parse(expiresAt), id));
            resume.after(id); // only once delivered: a change that failed to parse is asked for again
        }
    }
}
