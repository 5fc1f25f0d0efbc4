package io.logkv.client.http;

import io.logkv.core.ApiHeaders;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * A watch as a {@link Flow.Publisher} of {@link Change}s: one subscriber, fed from the node's server-sent
 * events with backpressure (a subscriber that requests slowly holds the connection back, and a node that
 * drops the slow stream is reconnected to). The stream resumes after its last change whenever it ends
 * (the node's {@code reconnect} or {@code dropped}, a node gone, a network error), on the configured nodes in
 * turn, so the subscriber sees every change once, in log order per partition, until it cancels.
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
        publisher.subscribe(subscriber);
        Thread reader = new Thread(() -> read(publisher), "logkv-client-watch-" + namespace);
        reader.setDaemon(true);
        reader.start();
    }

    private void read(SubmissionPublisher<Change> publisher) {
        String last = fromToken;
        boolean fromNow = fromToken == null;
        // Until the subscriber cancels or the client is closed (its timer is shut down then).
        while (!publisher.isClosed() && publisher.hasSubscribers() && !engine.timer().isShutdown()) {
            for (String node : engine.routes().any()) {
                if (!publisher.hasSubscribers()) {
                    break;
                }
                try {
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node + "/v1/namespaces/" + LogKvClient.segment(namespace)
                            + "/watch" + (prefix == null ? "" : "?prefix=" + LogKvClient.segment(prefix))))
                            .header("Accept", "text/event-stream").GET();
                    if (last != null) {
                        request.header(fromNow ? ApiHeaders.TOKEN : "Last-Event-ID", last);
                    }
                    HttpResponse<Stream<String>> response = engine.http().send(engine.credentials().applyTo(request).build(),
                            HttpResponse.BodyHandlers.ofLines());
                    if (response.statusCode() != 200) {
                        response.body().close();
                        continue;
                    }
                    try (Stream<String> lines = response.body()) {
                        String resumeFrom = events(lines, publisher);
                        if (resumeFrom != null) {
                            last = resumeFrom;
                            fromNow = false;
                        }
                    }
                } catch (java.io.IOException | RuntimeException failed) {
                    // the node went away or the stream broke: resume on the next node
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    publisher.close();
                    return;
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(PAUSE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        publisher.close();
    }

    /** Publishes a stream's changes until it ends; answers the id to resume from (null when it gave none). */
    private String events(Stream<String> lines, SubmissionPublisher<Change> publisher) {
        String last = null;
        List<String> block = new ArrayList<>();
        java.util.Iterator<String> it = lines.iterator();
        while (it.hasNext() && publisher.hasSubscribers()) {
            String line = it.next();
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
            if (id != null) {
                last = id;
            }
            if (event == null || event.equals("ready")) {
                continue;
            }
            if (event.equals("reconnect") || event.equals("dropped")) {
                break;
            }
            JsonNode change = engine.json().readTree(data.toString());
            String value = change.path("value").asString(null);
            String expiresAt = change.path("expiresAt").asString(null);
            publisher.submit(new Change(event, change.path("key").asString(), change.path("partition").asInt(),
                    change.path("position").asLong(), change.path("version").asString(null), change.path("contentType").asString(null),
                    value == null ? null : Base64.getDecoder().decode(value), expiresAt == null ? null : Instant.parse(expiresAt), id));
        }
        return last;
    }
}
