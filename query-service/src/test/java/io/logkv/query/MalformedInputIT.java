package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Every malformed input of API.md gets its 4xx as application/problem+json, and writes nothing. */
@Tag("integration")
class MalformedInputIT {

    @TempDir
    static Path dataDir;
    static LogKvNode node;
    static final String NS = "malformed";

    @BeforeAll
    static void startNode() {
        node = LogKvNode.start("malformed", KafkaTestCluster.shared().bootstrapServers(), dataDir);
        assertThat(node.putNamespace(NS, "{\"partitions\":2}").statusCode()).isIn(200, 201);
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @Test
    void everyMalformedInputIsRefusedAndChangesNothing() throws Exception {
        Map<String, Long> before = logEnds();
        String key = node.keyUrl(NS, "k");

        expect(400, "bad-token", put(key, "v").header("KV-Token", "not!a!token"));
        expect(400, "bad-token", get(key).header("KV-Token", "AAAA"));
        expect(400, "bad-ttl", put(key + "?ttl=forever", "v"));
        expect(400, "bad-ttl", put(key + "?ttl=0", "v"));
        expect(400, "bad-ttl", put(key + "?ttl=-5s", "v"));
        expect(400, "bad-consistency", get(key + "?consistency=psychic"));
        expect(400, "bad-wait", get(key + "?wait_ms=soon"));
        expect(400, "bad-wait", get(key + "?wait_ms=-1"));
        expect(400, "bad-wait", get(key + "?wait_ms=10001"));
        expect(414, "key-too-long", put(node.keyUrl(NS, "k".repeat(1025)), "v"));
        expect(414, "key-too-long", put(node.keyUrl(NS, "é".repeat(513)), "v"));
        expect(400, "bad-key", put(node.url("/v1/namespaces/" + NS + "/keys/%C3%28"), "v"));
        assertThat(rawRequest("PUT /v1/namespaces/" + NS + "/keys/abc%zz")).startsWith("HTTP/1.1 400")
                .contains("application/problem+json");
        assertThat(rawRequest("PUT /v1/namespaces/" + NS + "/keys/abc%2")).startsWith("HTTP/1.1 400")
                .contains("application/problem+json");
        expect(413, "value-too-large", HttpRequest.newBuilder(URI.create(key))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1024 * 1024 + 1])));
        expect(400, "bad-content-type", put(key, "v").header("Content-Type", "not a media type"));
        expect(404, "namespace-not-found", put(node.keyUrl("no-such-namespace", "k"), "v"));
        expect(404, "namespace-not-found", get(node.keyUrl("no-such-namespace", "k")));
        expect(404, "namespace-not-found", get(node.keyUrl("bad.name", "k")));
        expect(404, "namespace-not-found", HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/no-such-namespace"))).GET());
        expect(400, "bad-namespace", namespacePut("bad.name", "{}"));
        expect(400, "bad-request", namespacePut("fresh-ns", "{\"partitions\":"));
        expect(400, "bad-request", namespacePut("fresh-ns", "{\"partitions\":\"many\"}"));
        expect(400, "bad-namespace-settings", namespacePut("fresh-ns", "{\"partitions\":0}"));
        expect(400, "bad-namespace-settings", namespacePut("fresh-ns", "{\"partitions\":100000}"));
        expect(400, "bad-ttl", namespacePut("fresh-ns", "{\"defaultTtl\":\"sometime\"}"));
        expect(404, "not-found", HttpRequest.newBuilder(URI.create(node.url("/v2/nothing"))).GET());
        expect(405, "bad-request", HttpRequest.newBuilder(URI.create(key)).POST(HttpRequest.BodyPublishers.ofString("x")));

        assertThat(logEnds()).isEqualTo(before);
        assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces"))).GET()).body())
                .doesNotContain("fresh-ns").doesNotContain("bad.name");
    }

    @Test
    void methodsTheKeyPathsDoNotServeAreRefusedAndShareOneTimer() {
        for (int i = 0; i < 20; i++) {
            expect(405, "bad-request", HttpRequest.newBuilder(URI.create(node.keyUrl(NS, "k")))
                    .method("MADE-UP-" + i, HttpRequest.BodyPublishers.noBody()));
        }

        var methods = node.bean(MeterRegistry.class).find("logkv.http.key.requests").timers().stream()
                .map(timer -> timer.getId().getTag("method")).collect(Collectors.toSet());
        assertThat(methods).as("a client cannot grow the metrics by inventing methods")
                .contains("other").isSubsetOf("GET", "HEAD", "PUT", "DELETE", "forwarded-reads", "other");
    }

    @Test
    void aBatchGetBodyIsReadOnlyUpToTheMostABatchCanNeed() throws Exception {
        String path = "/v1/namespaces/" + NS + "/batch-get";
        expect(400, "bad-batch", batchGet("application/json", "{\"keys\":[\"a\""));
        expect(400, "bad-batch", batchGet("application/json", "{\"keys\":\"a\"}"));
        assertThat(node.send(batchGet("text/plain", "{\"keys\":[\"a\"]}")).statusCode()).isEqualTo(415);
        // At most 1,000 keys of 1,024 bytes, every byte escaped: 6,148,024 bytes. Declared beyond: refused unread.
        String declared = rawExchange(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 6148025\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(declared).startsWith("HTTP/1.1 413").contains("/problems/value-too-large");
        // Sent in chunks, undeclared: refused once that much has come.
        java.io.ByteArrayOutputStream chunked = new java.io.ByteArrayOutputStream();
        chunked.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        byte[] chunk = ("[" + "\"a\",".repeat(16_383) + "\"a\"]").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        for (int sent = 0; sent <= 6_148_024; sent += chunk.length) {
            chunked.writeBytes((Integer.toHexString(chunk.length) + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            chunked.writeBytes(chunk);
            chunked.writeBytes("\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(rawExchange(chunked.toByteArray())).startsWith("HTTP/1.1 413").contains("/problems/value-too-large");
        // The namespace's replicas may still be opening: 200, or 503 until they are, never anything else.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> node.send(batchGet("application/json", "{\"keys\":[\"a\"]}")).statusCode() == 200);
    }

    private static HttpRequest.Builder batchGet(String contentType, String body) {
        return HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + NS + "/batch-get")))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body));
    }

    /** Sends bytes over a plain socket (closing its sending side) and returns the answer's bytes as text. */
    private static String rawExchange(byte[] bytes) throws Exception {
        URI base = URI.create(node.url("/"));
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            try {
                socket.getOutputStream().write(bytes);
                socket.shutdownOutput();
            } catch (java.io.IOException refusedMidway) {
                // the node answered and closed before taking everything: its answer is read below
            }
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    /** Sends a request line no well-behaved client would, over a plain socket. */
    private static String rawRequest(String requestLine) throws Exception {
        URI base = URI.create(node.url("/"));
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n"
                    + "Connection: close\r\n\r\nv").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    private static HttpRequest.Builder put(String url, String value) {
        return HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofString(value));
    }

    private static HttpRequest.Builder get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).GET();
    }

    private static HttpRequest.Builder namespacePut(String namespace, String json) {
        return HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + namespace)))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json));
    }

    private static void expect(int status, String type, HttpRequest.Builder request) {
        HttpResponse<String> response = node.send(request);
        String what = request.build().method() + " " + request.build().uri() + " -> " + response.body();
        assertThat(response.statusCode()).as(what).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).as(what).hasValue("application/problem+json");
        assertThat(response.body()).as(what).contains("\"type\":\"/problems/" + type + "\"")
                .contains("\"status\":" + status).contains("\"title\"").contains("\"detail\"");
    }

    private static Map<String, Long> logEnds() throws Exception {
        Map<TopicPartition, OffsetSpec> request = IntStream.range(0, 2).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition("logkv.truth." + NS, p), p -> OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = KafkaTestCluster.shared().admin()
                .listOffsets(request).all().get(30, TimeUnit.SECONDS);
        Map<String, Long> result = new HashMap<>();
        ends.forEach((tp, info) -> result.put(tp.toString(), info.offset()));
        return result;
    }
}
