package io.logkv.query;

import io.logkv.core.RegionName;
import io.logkv.mirror.Mirror;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two regions (two Kafka clusters, a node in each) and the mirror between them. The home region's
 * namespace is registered in the other region as a copy: its node serves reads of it, refuses writes and
 * strong reads with a problem naming the home region, and honours the home region's tokens: a session read
 * under a token of region a waits until the mirror has carried that position into region b and never
 * answers an older value; while the mirror is stopped it answers 503 not-caught-up.
 */
@Tag("integration")
class RegionsIT {

    private static final RegionName A = new RegionName("a");
    private static final RegionName B = new RegionName("b");
    private final String ns = "regions-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    @Test
    void theOtherRegionServesACopyUnderTheHomeRegionsTokens() throws Exception {
        KafkaTestCluster clusterA = KafkaTestCluster.sharedRegion("a");
        KafkaTestCluster clusterB = KafkaTestCluster.sharedRegion("b");
        try (LogKvNode a = LogKvNode.start("region-a-1", clusterA.bootstrapServers(), dataDir.resolve("a"),
                "--logkv.region.name=a", "--logkv.replicas.copies=1");
             LogKvNode b = LogKvNode.start("region-b-1", clusterB.bootstrapServers(), dataDir.resolve("b"),
                     "--logkv.region.name=b", "--logkv.region.urls.a=" + a.url(""), "--logkv.replicas.copies=1")) {
            assertThat(a.putNamespace(ns, "{\"partitions\":3,\"defaultTtl\":\"2h\"}").statusCode()).isEqualTo(201);
            Map<String, String> values = new LinkedHashMap<>();
            Map<String, String> tokens = new LinkedHashMap<>();
            for (int i = 0; i < 60; i++) {
                HttpResponse<String> put = a.put(ns, "k" + (i % 20), "v" + i);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                values.put("k" + (i % 20), "v" + i);
                tokens.put("k" + (i % 20), put.headers().firstValue("KV-Token").orElseThrow());
            }

            MirrorSettings settings = MirrorSettings.of(A, B, clusterA.bootstrapServers(), clusterB.bootstrapServers(),
                    NamespaceSelection.of(List.of(ns))).withRescan(Duration.ofSeconds(1));
            Mirror mirror = new Mirror(settings, new SimpleMeterRegistry());
            mirror.start();
            try {
                // The copy is registered in region b with its home and the home's settings.
                Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    HttpResponse<String> described = b.send(HttpRequest.newBuilder(URI.create(b.url("/v1/namespaces/" + ns))));
                    assertThat(described.statusCode()).as(described.body()).isEqualTo(200);
                    JsonNode json = JsonMapper.builder().build().readTree(described.body());
                    assertThat(json.path("homeRegion").asString()).isEqualTo("a");
                    assertThat(json.path("defaultTtlSeconds").asLong()).isEqualTo(7200);
                    assertThat(json.path("mirror")).hasSize(3);
                });

                // Every key read in b under the token of its write in a: that write's value, never an older one.
                for (Map.Entry<String, String> key : values.entrySet()) {
                    HttpResponse<String> read = get(b, key.getKey(), "wait_ms=10000", "KV-Token", tokens.get(key.getKey()));
                    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                    assertThat(read.body()).isEqualTo(key.getValue());
                }

                // A token from a read in a (its position covers the commit marker after the last record) is
                // honoured in b once the mirror has recorded that it read past the marker.
                HttpResponse<String> readInA = get(a, "k3", "", "KV-Token", tokens.get("k3"));
                assertThat(readInA.statusCode()).isEqualTo(200);
                HttpResponse<String> readInB = get(b, "k3", "wait_ms=10000", "KV-Token", readInA.headers().firstValue("KV-Token").orElseThrow());
                assertThat(readInB.statusCode()).as(readInB.body()).isEqualTo(200);
                assertThat(readInB.body()).isEqualTo(values.get("k3"));

                // At rest, the mirror's heartbeats keep the copy's lag in time small and known.
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    for (JsonNode partition : describe(b).path("mirror")) {
                        assertThat(partition.path("lagMs").asLong()).as(partition.toString()).isBetween(0L, 3_000L);
                    }
                });

                // A token of a region without a name cannot be translated: refused, never read as this region's.
                int partitionOfK1 = io.logkv.core.KeyPartitioner.partitionOf("k1".getBytes(java.nio.charset.StandardCharsets.UTF_8), 3);
                String unnamed = io.logkv.core.ConsistencyToken.of(new io.logkv.core.NamespaceName(ns), null,
                        new io.logkv.core.LogPosition(partitionOfK1, 5)).encode();
                HttpResponse<String> refused = get(b, "k1", "", "KV-Token", unnamed);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
                assertThat(refused.body()).contains("/problems/bad-token");

                // Writes, strong reads and settings belong to the home region.
                HttpResponse<String> write = b.put(ns, "k1", "from b");
                assertThat(write.statusCode()).as(write.body()).isEqualTo(421);
                assertThat(write.body()).contains("/problems/not-home-region");
                assertThat(write.headers().firstValue("KV-Home-Region")).contains("a");
                assertThat(write.headers().firstValue("KV-Home-Url")).contains(a.url(""));
                assertThat(b.delete(ns, "k1").statusCode()).isEqualTo(421);
                assertThat(get(b, "k1", "consistency=strong").statusCode()).isEqualTo(421);
                assertThat(b.putNamespace(ns, "{\"defaultTtl\":\"1h\"}").statusCode()).isEqualTo(421);
                assertThat(b.send(HttpRequest.newBuilder(URI.create(b.url("/v1/namespaces/" + ns))).DELETE()).statusCode()).isEqualTo(421);
                assertThat(get(a, "k1", "consistency=strong&wait_ms=10000").body()).isEqualTo(values.get("k1"));

                // The Java client, given region b's node only: its writes and strong reads follow the 421 to the
                // home, and its session reads in b wait for the mirror to carry what it wrote in a.
                try (io.logkv.client.http.LogKvClient client = io.logkv.client.http.LogKvClient.builder().nodes(b.url("")).build()) {
                    io.logkv.client.http.LogKvSession session = client.session();
                    session.put(ns, "k1", "written through b's node");
                    assertThat(get(a, "k1", "consistency=strong&wait_ms=10000").body()).isEqualTo("written through b's node");
                    assertThat(session.get(ns, "k1")).hasValueSatisfying(read -> assertThat(read.text()).isEqualTo("written through b's node"));
                    assertThat(client.get(ns, "k1", io.logkv.client.http.Consistency.STRONG))
                            .hasValueSatisfying(read -> assertThat(read.text()).isEqualTo("written through b's node"));
                    values.put("k1", "written through b's node");
                }
            } finally {
                mirror.close();
            }

            // The mirror is down: a token of a newer write in a is not honoured in b until it is carried.
            HttpResponse<String> later = a.put(ns, "k5", "while the mirror is down");
            String laterToken = later.headers().firstValue("KV-Token").orElseThrow();
            HttpResponse<String> waiting = get(b, "k5", "wait_ms=1500", "KV-Token", laterToken);
            assertThat(waiting.statusCode()).as(waiting.body()).isEqualTo(503);
            assertThat(waiting.body()).contains("/problems/not-caught-up");
            assertThat(waiting.headers().firstValue("Retry-After")).isPresent();
            assertThat(get(b, "k5", "").body()).as("an eventual read is served from the copy as it is").isEqualTo(values.get("k5"));
            Thread.sleep(2_000);
            for (JsonNode partition : describe(b).path("mirror")) {
                assertThat(partition.path("lagMs").asLong()).as("the copy ages while no heartbeat comes: " + partition).isGreaterThan(3_000L);
            }

            Mirror restarted = new Mirror(MirrorSettings.of(A, B, clusterA.bootstrapServers(), clusterB.bootstrapServers(),
                    NamespaceSelection.of(List.of(ns))).withRescan(Duration.ofSeconds(1)), new SimpleMeterRegistry());
            restarted.start();
            try {
                HttpResponse<String> carried = get(b, "k5", "wait_ms=10000", "KV-Token", laterToken);
                assertThat(carried.statusCode()).as(carried.body()).isEqualTo(200);
                assertThat(carried.body()).isEqualTo("while the mirror is down");
                // b's own token (positions of region b) serves b's later session reads.
                HttpResponse<String> again = get(b, "k5", "", "KV-Token", carried.headers().firstValue("KV-Token").orElseThrow());
                assertThat(again.body()).isEqualTo("while the mirror is down");

                // A node of b that forwards writes to the home region: the write is made in a, its conditions are
                // checked there, and its token is honoured in b once the mirror has carried it.
                try (LogKvNode forwarding = LogKvNode.start("region-b-2", clusterB.bootstrapServers(), dataDir.resolve("b2"),
                        "--logkv.region.name=b", "--logkv.region.urls.a=" + a.url(""), "--logkv.replicas.copies=1",
                        "--logkv.region.forward-writes=true")) {
                    HttpResponse<String> written = forwarding.put(ns, "k2", "from b, written in a");
                    assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
                    String writtenToken = written.headers().firstValue("KV-Token").orElseThrow();
                    assertThat(get(a, "k2", "consistency=strong&wait_ms=10000").body()).isEqualTo("from b, written in a");
                    HttpResponse<String> readBack = get(b, "k2", "wait_ms=10000", "KV-Token", writtenToken);
                    assertThat(readBack.statusCode()).as(readBack.body()).isEqualTo(200);
                    assertThat(readBack.body()).isEqualTo("from b, written in a");
                    HttpResponse<String> stale = forwarding.send(HttpRequest.newBuilder(URI.create(forwarding.keyUrl(ns, "k2")))
                            .header("If-Match", "\"" + "0".repeat(24) + "\"")
                            .PUT(HttpRequest.BodyPublishers.ofString("stale condition")));
                    assertThat(stale.statusCode()).as(stale.body()).isEqualTo(412);
                    assertThat(forwarding.delete(ns, "k2").statusCode()).isEqualTo(204);
                    assertThat(get(a, "k2", "consistency=strong&wait_ms=10000").statusCode()).isEqualTo(404);

                    // The namespace's own choice wins over the node's: set in the home region, carried by the mirror.
                    HttpResponse<String> refuse = a.putNamespace(ns, "{\"copyWrites\":\"refuse\"}");
                    assertThat(refuse.statusCode()).as(refuse.body()).isEqualTo(200);
                    assertThat(refuse.body()).contains("\"copyWrites\":\"refuse\"").contains("\"defaultTtlSeconds\":7200");
                    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                            assertThat(describe(forwarding).path("copyWrites").asString("")).isEqualTo("refuse"));
                    HttpResponse<String> refused = forwarding.put(ns, "k3", "refused by the namespace's choice");
                    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(421);

                    assertThat(a.putNamespace(ns, "{\"copyWrites\":\"forward\"}").statusCode()).isEqualTo(200);
                    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                            assertThat(describe(b).path("copyWrites").asString("")).isEqualTo("forward"));
                    HttpResponse<String> forwarded = b.put(ns, "k3", "forwarded by the namespace's choice");
                    assertThat(forwarded.statusCode()).as("b has no logkv.region.forward-writes: " + forwarded.body()).isEqualTo(200);
                    assertThat(get(a, "k3", "consistency=strong&wait_ms=10000").body()).isEqualTo("forwarded by the namespace's choice");
                    assertThat(a.putNamespace(ns, "{\"copyWrites\":\"fast\"}").statusCode()).isEqualTo(400);
                }
            } finally {
                restarted.close();
            }
        }
    }

    private JsonNode describe(LogKvNode node) {
        HttpResponse<String> described = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns))));
        assertThat(described.statusCode()).as(described.body()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(described.body());
    }

    private HttpResponse<String> get(LogKvNode node, String key, String query, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.keyUrl(ns, key) + (query.isEmpty() ? "" : "?" + query)));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return node.send(request);
    }
}
