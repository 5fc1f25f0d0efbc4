package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
class KeyLifecycleIT {

    @TempDir
    static Path dataDir;
    static LogKvNode node;

    @BeforeAll
    static void startNode() {
        node = LogKvNode.start("lifecycle", KafkaTestCluster.shared().bootstrapServers(), dataDir);
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @Test
    void putThenGetThenDeleteThenNotFound() {
        String key = "user/42 ü " + UUID.randomUUID();

        HttpResponse<String> put = node.put("default", key, "hello");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        String version = put.headers().firstValue("ETag").orElseThrow();
        String token = put.headers().firstValue("KV-Token").orElseThrow();
        assertThat(put.body()).contains("\"version\":" + version).contains("\"token\":\"" + token + "\"");

        // The node has just started and may still be replaying the shared default namespace: the read waits as
        // long as a read may (a 503 after that is still a failure; a stale answer never passes).
        HttpResponse<String> get = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.keyUrl("default", key)
                + "?wait_ms=10000")).header("KV-Token", token).GET());
        assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello");
        assertThat(get.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(get.headers().firstValue("ETag")).hasValue(version);
        assertThat(get.headers().firstValue("KV-Replica-Lag-Ms")).isPresent();
        assertThat(get.headers().firstValue("KV-Token")).isPresent();

        HttpResponse<String> delete = node.delete("default", key);
        assertThat(delete.statusCode()).isEqualTo(204);
        String deleteToken = delete.headers().firstValue("KV-Token").orElseThrow();
        assertThat(delete.headers().firstValue("ETag")).isPresent().isNotEqualTo(version);

        HttpResponse<String> gone = node.get("default", key, "KV-Token", deleteToken);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(gone.headers().firstValue("KV-Token")).isPresent();
    }

    /** A namespace may be called {@code keys}, and a key may be called {@code keys} too. */
    @Test
    void aNamespaceNamedKeysServesItsOwnKeys() {
        assertThat(node.putNamespace("keys", "{\"partitions\":1}").statusCode()).isIn(200, 201);
        HttpResponse<String> put = node.put("keys", "keys", "in keys");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        HttpResponse<String> get = node.get("keys", "keys", "KV-Token", put.headers().firstValue("KV-Token").orElseThrow());
        assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("in keys");
        // The key is "keys" itself, as a batch-get (keys in the body, not the path) finds it.
        HttpResponse<String> batch = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/keys/batch-get")))
                .header("Content-Type", "application/json")
                .header("KV-Token", put.headers().firstValue("KV-Token").orElseThrow())
                .POST(HttpRequest.BodyPublishers.ofString("{\"keys\":[\"keys\"]}")));
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
        assertThat(batch.body()).contains("\"found\":true")
                .contains(java.util.Base64.getEncoder().encodeToString("in keys".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void contentTypeAndBinaryValuesRoundTrip() {
        byte[] value = new byte[70_000];
        new java.util.Random(7).nextBytes(value);
        HttpResponse<String> put = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl("default", "blob")))
                .header("Content-Type", "image/png").PUT(HttpRequest.BodyPublishers.ofByteArray(value)));
        assertThat(put.statusCode()).isEqualTo(200);

        HttpResponse<byte[]> get = node.sendForBytes(HttpRequest.newBuilder(URI.create(node.keyUrl("default", "blob")))
                .header("KV-Token", put.headers().firstValue("KV-Token").orElseThrow()).GET());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(get.body()).isEqualTo(value);

        HttpResponse<String> noType = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl("default", "untyped")))
                .PUT(HttpRequest.BodyPublishers.ofString("x")));
        HttpResponse<String> read = node.get("default", "untyped", "KV-Token", noType.headers().firstValue("KV-Token").orElseThrow());
        assertThat(read.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    }

    @Test
    void largestLegalKeyAndValueAreAccepted() {
        String key = "é".repeat(512);
        byte[] value = new byte[1024 * 1024];
        HttpResponse<String> put = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl("default", key)))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(value)));
        assertThat(put.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> get = node.sendForBytes(HttpRequest.newBuilder(URI.create(node.keyUrl("default", key)))
                .header("KV-Token", put.headers().firstValue("KV-Token").orElseThrow()).GET());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).hasSize(value.length);
    }

    @Test
    void keysMayHoldSlashesSpacesAndAnyUnicode() {
        for (String key : new String[] {"a/b/c", "with space", "😀 emoji", "back\\slash", "per%cent", "plus+sign", "?query&x=1#frag"}) {
            HttpResponse<String> put = node.put("default", key, "v:" + key);
            assertThat(put.statusCode()).as(key).isEqualTo(200);
            HttpResponse<String> get = node.get("default", key, "KV-Token", put.headers().firstValue("KV-Token").orElseThrow());
            assertThat(get.statusCode()).as(key).isEqualTo(200);
            assertThat(get.body()).isEqualTo("v:" + key);
        }
    }

    @Test
    void ttlSetsAnExpiryThatReadsReport() {
        String key = "ttl-key-" + UUID.randomUUID();
        Instant before = Instant.now();
        HttpResponse<String> put = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl("default", key) + "?ttl=1h"))
                .PUT(HttpRequest.BodyPublishers.ofString("soon gone")));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        new ExpiringKey(node, "default", key, put.headers().firstValue("KV-Token").orElseThrow())
                .assertLiveWithExpiry("soon gone", before, Duration.ofHours(1));
    }

    /**
     * A key written with {@code ttl=2s} reads as its value until the expiry it reports and as 404 (single
     * and batch reads) from then on, while a key written beside it without a time to live stays.
     */
    @Test
    void aKeyWithATimeToLiveReadsAsNotFoundOnceItExpiresAndOneWithoutStays() {
        String brief = "short-lived-" + UUID.randomUUID();
        String lasting = "lasting-" + UUID.randomUUID();
        HttpResponse<String> keep = node.put("default", lasting, "stays");
        assertThat(keep.statusCode()).as(keep.body()).isEqualTo(200);
        Instant before = Instant.now();
        HttpResponse<String> put = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl("default", brief) + "?ttl=2s"))
                .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("brief")));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        String token = put.headers().firstValue("KV-Token").orElseThrow();

        ExpiringKey expiring = new ExpiringKey(node, "default", brief, token);
        Instant expiresAt = expiring.assertLiveWithExpiry("brief", before, Duration.ofSeconds(2));
        expiring.assertExpiresAt(expiresAt, "brief", Duration.ofSeconds(10));

        HttpResponse<String> stays = node.get("default", lasting, "KV-Token", token);
        assertThat(stays.statusCode()).as("a key written without a time to live, after the other expired: %s", stays.body())
                .isEqualTo(200);
        assertThat(stays.body()).isEqualTo("stays");
        assertThat(stays.headers().firstValue("KV-Expires-At")).isEmpty();
        HttpResponse<String> batch = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/default/batch-get")))
                .header("Content-Type", "application/json").header("KV-Token", token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"keys\":[\"" + brief + "\",\"" + lasting + "\"]}")));
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
        assertThat(batch.body()).contains("{\"key\":\"" + brief + "\",\"found\":false")
                .contains("{\"key\":\"" + lasting + "\",\"found\":true");
    }

    /** A namespace's default time to live (here {@code 2}, plain seconds) expires the keys written there without one of their own. */
    @Test
    void aNamespaceDefaultTimeToLiveExpiresKeysWrittenWithoutOne() {
        String name = "ttl-default-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(node.putNamespace(name, "{\"partitions\":1,\"defaultTtl\":\"2\"}").statusCode()).isEqualTo(201);
        Instant before = Instant.now();
        HttpResponse<String> put = node.put(name, "k", "by default");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        HttpResponse<String> own = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(name, "own") + "?ttl=1h"))
                .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("its own")));
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        String token = own.headers().firstValue("KV-Token").orElseThrow();

        ExpiringKey expiring = new ExpiringKey(node, name, "k", token);
        Instant expiresAt = expiring.assertLiveWithExpiry("by default", before, Duration.ofSeconds(2));
        expiring.assertExpiresAt(expiresAt, "by default", Duration.ofSeconds(10));
        new ExpiringKey(node, name, "own", token).assertLiveWithExpiry("its own", before, Duration.ofHours(1));
    }

    @Test
    void conditionalGetAnswersNotModified() {
        HttpResponse<String> put = node.put("default", "etagged", "v1");
        String etag = put.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> get = node.get("default", "etagged", "KV-Token", put.headers().firstValue("KV-Token").orElseThrow(),
                "If-None-Match", etag);
        assertThat(get.statusCode()).isEqualTo(304);
    }

    @Test
    void namespacesAreCreatedDescribedAndListedAtRunTime() {
        String name = "orders-" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> created = node.putNamespace(name, "{\"partitions\":3,\"defaultTtl\":\"2h\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        HttpResponse<String> put = node.put(name, "k", "v");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(node.get(name, "k", "KV-Token", put.headers().firstValue("KV-Token").orElseThrow()).body()).isEqualTo("v");

        HttpResponse<String> describe = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + name))).GET());
        assertThat(describe.statusCode()).isEqualTo(200);
        assertThat(describe.body()).contains("\"partitions\":3").contains("\"defaultTtlSeconds\":7200")
                .contains("\"appliedPosition\"").contains("\"lagRecords\"");

        HttpResponse<String> list = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces"))).GET());
        assertThat(list.body()).contains("\"name\":\"" + name + "\"").contains("\"name\":\"default\"");

        assertThat(node.putNamespace(name, "{\"defaultTtl\":\"0\"}").statusCode()).isEqualTo(200);
        assertThat(node.putNamespace(name, "{\"partitions\":4}").statusCode()).isEqualTo(409);
    }

    @Test
    void healthAndMetricsEndpointsAnswer() {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/health/readiness"))).GET()).statusCode())
                        .isEqualTo(200));
        assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/prometheus"))).GET()).body())
                .contains("logkv_replica_applied");
        String key = "timed-" + System.nanoTime();
        assertThat(node.get("default", key).statusCode()).isEqualTo(404);
        HttpResponse<String> put = node.put("default", key, "timed");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(node.get("default", key, "KV-Token", put.headers().firstValue("KV-Token").orElseThrow()).statusCode()).isEqualTo(200);
        // Key requests are timed by method and status, each pair its own timer.
        assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/prometheus"))).GET()).body())
                .contains("logkv_http_key_requests_seconds_count{method=\"GET\",status=\"404\"}")
                .contains("logkv_http_key_requests_seconds_count{method=\"GET\",status=\"200\"}")
                .contains("logkv_http_key_requests_seconds_count{method=\"PUT\",status=\"200\"}");
        assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/health/liveness"))).GET()).statusCode())
                .isEqualTo(200);
        assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/info"))).GET()).statusCode())
                .isEqualTo(200);
    }
}
