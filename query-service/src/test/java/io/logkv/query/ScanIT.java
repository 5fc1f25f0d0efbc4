package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/namespaces/{ns}/keys?prefix=}: every live key under the prefix once, in key order, paged,
 * merged across partitions that live on different nodes; deleted and expired keys left out; a session scan
 * sees the writes of its token; paging goes on past keys written behind the continuation.
 */
@Tag("integration")
class ScanIT {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private final String ns = "scan-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    @Test
    void pagesMergeEveryPartitionInKeyOrder() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s"};
        try (LogKvNode a = LogKvNode.start("scan-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("scan-b", kafka, dataDir.resolve("b"), args)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":4}").statusCode()).isIn(200, 201);
            TreeMap<String, String> expected = new TreeMap<>();
            String token = null;
            for (int i = 0; i < 230; i++) {
                String key = "s/" + String.format("%04d", (i * 37) % 1000) + (i % 3 == 0 ? "/é" : "");
                HttpResponse<String> put = a.put(ns, key, "v" + i);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                expected.put(key, "v" + i);
                token = put.headers().firstValue("KV-Token").orElseThrow();
                a.put(ns, "t/" + i, "not under the prefix");
            }
            for (String gone : List.copyOf(expected.keySet()).subList(0, 30)) {
                HttpResponse<String> deleted = a.delete(ns, gone);
                token = deleted.headers().firstValue("KV-Token").orElse(token);
                expected.remove(gone);
            }
            HttpResponse<String> expiring = a.send(HttpRequest.newBuilder(URI.create(a.keyUrl(ns, "s/expiring") + "?ttl=1s"))
                    .PUT(HttpRequest.BodyPublishers.ofString("x")));
            token = expiring.headers().firstValue("KV-Token").orElseThrow();
            Thread.sleep(1_200);

            // Until every partition has a serving replica on some node, a scan may answer 503: wait for a full one.
            String sessionToken = token;
            for (LogKvNode node : List.of(a, b)) {
                Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    List<JsonNode> items = scanAll(node, "s/", 37, sessionToken);
                    List<String> keys = items.stream().map(item -> item.path("key").asString()).toList();
                    assertThat(keys).as("every live key once, in key order").containsExactlyElementsOf(expected.keySet());
                    for (JsonNode item : items) {
                        assertThat(new String(Base64.getDecoder().decode(item.path("value").asString()), StandardCharsets.UTF_8))
                                .isEqualTo(expected.get(item.path("key").asString()));
                    }
                });
            }

            // Keys written behind the continuation are not seen; keys ahead of it are.
            JsonNode first = page(a, "s/", 10, null, sessionToken);
            String next = first.path("next").asString();
            a.put(ns, "s/0000-behind", "b");
            HttpResponse<String> ahead = a.put(ns, "s/9999-ahead", "a");
            List<String> rest = new ArrayList<>();
            String cursor = next;
            String latest = ahead.headers().firstValue("KV-Token").orElseThrow();
            while (cursor != null) {
                JsonNode page = page(a, "s/", 50, cursor, latest);
                page.path("items").forEach(item -> rest.add(item.path("key").asString()));
                cursor = page.path("next").isMissingNode() || page.path("next").isNull() ? null : page.path("next").asString();
            }
            assertThat(rest).contains("s/9999-ahead").doesNotContain("s/0000-behind");

            HttpResponse<String> badLimit = a.send(HttpRequest.newBuilder(URI.create(a.url("/v1/namespaces/" + ns + "/keys?limit=0"))));
            assertThat(badLimit.statusCode()).isEqualTo(400);
            assertThat(badLimit.body()).contains("/problems/bad-scan");
            HttpResponse<String> notANode = a.send(HttpRequest.newBuilder(URI.create(a.url("/v1/namespaces/" + ns + "/keys?partition=0"))));
            assertThat(notANode.statusCode()).isEqualTo(400);
        }
    }

    private List<JsonNode> scanAll(LogKvNode node, String prefix, int limit, String token) {
        List<JsonNode> items = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = page(node, prefix, limit, cursor, token);
            page.path("items").forEach(items::add);
            assertThat(page.path("items").size()).isLessThanOrEqualTo(limit);
            cursor = page.path("next").isMissingNode() || page.path("next").isNull() ? null : page.path("next").asString();
        } while (cursor != null);
        return items;
    }

    private JsonNode page(LogKvNode node, String prefix, int limit, String after, String token) {
        String query = "?prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8) + "&limit=" + limit
                + (after == null ? "" : "&after=" + after);
        HttpResponse<String> response = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/keys" + query)))
                .header("KV-Token", token));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
