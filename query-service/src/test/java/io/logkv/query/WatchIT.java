package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/namespaces/{ns}/watch}: exactly the log's changes (puts, deletes, expiries) in log order per
 * partition, filtered by prefix; resumed with {@code Last-Event-ID} with nothing missed or repeated; started
 * from a token with exactly the changes after it.
 */
@Tag("integration")
class WatchIT {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private final String ns = "watch-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    /** One server-sent event. */
    record Event(String id, String type, JsonNode data) {
        String key() {
            return data.path("key").asString();
        }
    }

    @Test
    void aWatchDeliversExactlyTheLogsChangesInOrderAndResumesAfterItsLastEvent() throws Exception {
        try (LogKvNode node = LogKvNode.start("watch-a", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("a"),
                "--logkv.compactor.scan-interval=200ms")) {
            assertThat(node.putNamespace(ns, "{\"partitions\":2}").statusCode()).isIn(200, 201);
            List<Event> events = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> stream = watch(node, "?prefix=w%2F", Map.of(), events);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().anyMatch(e -> e.type().equals("ready")));

            for (int i = 0; i < 20; i++) {
                assertThat(node.put(ns, "w/" + i, "v" + i).statusCode()).isEqualTo(200);
                assertThat(node.put(ns, "other-" + i, "x").statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < 20; i += 4) {
                assertThat(node.delete(ns, "w/" + i).statusCode()).isEqualTo(204);
            }
            HttpResponse<String> shortLived = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns, "w/ttl") + "?ttl=1s"))
                    .PUT(HttpRequest.BodyPublishers.ofString("soon gone")));
            assertThat(shortLived.statusCode()).isEqualTo(200);
            // The compactor writes the expiry tombstone; the watch reports it as an expiry.
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().anyMatch(e -> e.type().equals("expire")));

            List<Event> changes = events.stream().filter(e -> !e.type().equals("ready")).toList();
            assertThat(changes).allMatch(e -> e.key().startsWith("w/"));
            assertThat(changes).filteredOn(e -> e.type().equals("expire")).extracting(Event::key).containsExactly("w/ttl");
            // Exactly the log, per partition: every record under the prefix, in order, once.
            for (int p = 0; p < 2; p++) {
                int partition = p;
                List<String> log = KafkaTestCluster.shared().readCommitted(List.of(new TopicPartition(new NamespaceName(ns).truthTopic(), p)))
                        .stream().filter(r -> r.key() != null && new String(r.key(), StandardCharsets.UTF_8).startsWith("w/"))
                        .map(WatchIT::describe).toList();
                List<String> watched = changes.stream().filter(e -> e.data().path("partition").asInt() == partition)
                        .map(e -> e.key() + "@" + e.data().path("position").asLong() + (e.type().equals("put") ? " put" : " gone"))
                        .toList();
                assertThat(watched).as("partition %d", p).isEqualTo(log);
            }
            Event put = changes.stream().filter(e -> e.key().equals("w/1") && e.type().equals("put")).findFirst().orElseThrow();
            assertThat(new String(java.util.Base64.getDecoder().decode(put.data().path("value").asString()), StandardCharsets.UTF_8)).isEqualTo("v1");

            // Resumed after its fifth change, the stream goes on, in every partition, right after what that event's id
            // covers, and misses or repeats nothing (partitions interleave as they are read, so the order across them
            // may differ from the first stream's).
            stream.cancel(true);
            String resumeId = changes.get(4).id();
            io.logkv.core.ConsistencyToken resumeAt = io.logkv.core.ConsistencyToken.decode(resumeId);
            List<Event> resumed = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> again = watch(node, "?prefix=w%2F", Map.of("Last-Event-ID", resumeId), resumed);
            for (int p = 0; p < 2; p++) {
                int partition = p;
                long after = resumeAt.positionFor(new NamespaceName(ns), p);
                List<String> expected = changes.stream().filter(e -> e.data().path("partition").asInt() == partition
                        && e.data().path("position").asLong() > after).map(WatchIT::describe).toList();
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(resumed.stream().filter(e -> !e.type().equals("ready") && e.data().path("partition").asInt() == partition)
                                .map(WatchIT::describe)).containsExactlyElementsOf(expected));
            }
            assertThat(resumed.stream().filter(e -> !e.type().equals("ready")).count()).isGreaterThan(0).isLessThan(changes.size());
            again.cancel(true);
        }
    }

    @Test
    void aPrefixWatchThatMatchedNothingEndsWhereItGotToAndItsResumptionGoesOnFromThere() throws Exception {
        try (LogKvNode node = LogKvNode.start("watch-quiet", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("quiet"),
                "--logkv.watch.max-duration=4s")) {
            assertThat(node.putNamespace(ns, "{\"partitions\":2}").statusCode()).isIn(200, 201);
            List<Event> events = new CopyOnWriteArrayList<>();
            watch(node, "?prefix=m%2F", Map.of(), events);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().anyMatch(e -> e.type().equals("ready")));
            for (int i = 0; i < 50; i++) {
                assertThat(node.put(ns, "other-" + i, "x").statusCode()).isEqualTo(200);
            }
            // Each stream ends after 4 s; its ending event's id covers every record it read, none of which matched, and a
            // stream resumed from it goes on from there (on a slow machine a stream may end before it read them all).
            String id = ending(events).id();
            assertThat(id).as("the ending event's id").isNotNull();
            long read = positions(id);
            for (int streams = 1; read < 50 && streams < 10; streams++) {
                List<Event> next = new CopyOnWriteArrayList<>();
                watch(node, "?prefix=m%2F", Map.of("Last-Event-ID", id), next);
                id = ending(next).id();
                assertThat(id).as("the ending event's id").isNotNull();
                assertThat(positions(id)).as("a resumed stream goes on from where the last one got to").isGreaterThanOrEqualTo(read);
                read = positions(id);
            }
            assertThat(read).as("positions the streams reached, over both partitions").isGreaterThanOrEqualTo(50);
            // A change after that position is delivered by the streams resumed from it, once.
            assertThat(node.put(ns, "m/1", "matched").statusCode()).isEqualTo(200);
            List<Event> delivered = new java.util.ArrayList<>();
            for (int streams = 0; delivered.isEmpty() && streams < 10; streams++) {
                List<Event> next = new CopyOnWriteArrayList<>();
                watch(node, "?prefix=m%2F", Map.of("Last-Event-ID", id), next);
                id = ending(next).id();
                next.stream().filter(e -> e.type().equals("put")).forEach(delivered::add);
            }
            assertThat(delivered).extracting(Event::key).containsExactly("m/1");
        }
    }

    @Test
    void aWatchFromAWritesTokenStartsRightAfterThatWrite() throws Exception {
        try (LogKvNode node = LogKvNode.start("watch-b", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("b"))) {
            assertThat(node.putNamespace(ns, "{\"partitions\":1}").statusCode()).isIn(200, 201);
            node.put(ns, "a", "1");
            HttpResponse<String> second = node.put(ns, "b", "2");
            node.put(ns, "c", "3");
            node.delete(ns, "a");
            List<Event> events = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> stream = watch(node, "", Map.of("KV-Token", second.headers().firstValue("KV-Token").orElseThrow()), events);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.size() >= 3);
            Thread.sleep(300);
            assertThat(events.stream().map(e -> e.type() + (e.type().equals("ready") ? "" : " " + e.key())))
                    .containsExactly("ready", "put c", "delete a");
            stream.cancel(true);

            HttpResponse<String> badToken = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/watch")))
                    .header("Last-Event-ID", "not a token"));
            assertThat(badToken.statusCode()).isEqualTo(400);
            assertThat(badToken.body()).contains("/problems/bad-token");
            HttpResponse<String> unknown = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/no-such-" + ns + "/watch"))));
            assertThat(unknown.statusCode()).isEqualTo(404);
        }
    }

    /**
     * A HEAD of the watch answers what a GET would before its first event, opens no stream, and leaves the
     * connection ready for the client's next request (a client owes no body to a HEAD and reuses the connection).
     */
    @Test
    void aHeadOfTheWatchOpensNoStreamAndTheConnectionServesTheNextRequest() throws Exception {
        HttpClient oneConnection = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (LogKvNode node = LogKvNode.start("watch-head", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("head"))) {
            assertThat(node.putNamespace(ns, "{\"partitions\":1}").statusCode()).isIn(200, 201);
            HttpResponse<String> written = node.put(ns, "after-head", "served");
            assertThat(written.statusCode()).isEqualTo(200);
            String token = written.headers().firstValue("KV-Token").orElseThrow();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> head = oneConnection.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/watch")))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(head.statusCode()).isEqualTo(200);
                assertThat(head.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
                HttpResponse<String> next = oneConnection.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns, "after-head") + "?wait_ms=5000"))
                        .header("KV-Token", token).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(next.statusCode()).as("the request after a HEAD of the watch, on the same connection").isEqualTo(200);
                assertThat(next.body()).isEqualTo("served");
            }
            assertThat(node.bean(io.micrometer.core.instrument.MeterRegistry.class).get("logkv.watch.streams").gauge().value())
                    .as("change streams open after HEADs").isZero();
            HttpResponse<String> unknown = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/no-such-" + ns + "/watch")))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertThat(unknown.statusCode()).isEqualTo(404);
        }
    }

    private static String describe(Event event) {
        return event.type() + " " + event.key() + "@" + event.data().path("position").asLong();
    }

    private static String describe(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8) + "@" + (record.offset() + 1) + (record.value() != null ? " put" : " gone");
    }

    /** Opens a watch and collects its events until the returned future is cancelled or the stream ends. */
    private CompletableFuture<Void> watch(LogKvNode node, String query, Map<String, String> headers, List<Event> into) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/watch" + query)))
                .header("Accept", "text/event-stream");
        headers.forEach(request::header);
        return HttpClient.newHttpClient().sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines()).thenAccept(response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            collect(response.body(), into);
        });
    }

    /** The first {@code reconnect} event of a stream, once it has come. */
    private static Event ending(List<Event> events) {
        return Awaitility.await().atMost(Duration.ofSeconds(30)).until(
                () -> events.stream().filter(e -> e.type().equals("reconnect")).findFirst().orElse(null), java.util.Objects::nonNull);
    }

    /** The positions an event id names, summed over the namespace's two partitions. */
    private long positions(String id) {
        io.logkv.core.ConsistencyToken token = io.logkv.core.ConsistencyToken.decode(id);
        return token.positionFor(new NamespaceName(ns), 0) + token.positionFor(new NamespaceName(ns), 1);
    }

    private static void collect(Stream<String> lines, List<Event> into) {
        List<String> block = new ArrayList<>();
        lines.forEach(line -> {
            if (!line.isEmpty()) {
                block.add(line);
                return;
            }
            Map<String, String> fields = block.stream().filter(l -> !l.startsWith(":") && l.contains(":"))
                    .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf(':') + 1).strip(),
                            (a, b) -> a + "\n" + b));
            block.clear();
            if (fields.containsKey("event")) {
                into.add(new Event(fields.get("id"), fields.get("event"), JSON.readTree(fields.getOrDefault("data", "{}"))));
            }
        });
    }
}
