package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Answers that read many values hold no more of them than {@code logkv.replicas.max-answer-bytes} (and a value per
 * partition beyond it): a scan page ends early with its continuation, a batch-get lists the keys it left out as
 * {@code unread}, and paging or asking again for those reads every key once, with its value, on a node that serves
 * some partitions itself and forwards the others. Without the bound, one request for a thousand large values made a
 * node hold them all at once.
 */
@Tag("integration")
class BoundedAnswersIT {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final int BOUND = 64 * 1024;
    private static final int PARTITIONS = 4;
    private static final int LARGEST = 96 * 1024;

    private final String ns = "bounded-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    @Test
    void scanPagesAndBatchGetsStayWithinTheBoundAndStillReadEveryKeyOnce() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s", "--logkv.replicas.max-answer-bytes=" + BOUND};
        try (LogKvNode a = LogKvNode.start("bounded-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("bounded-b", kafka, dataDir.resolve("b"), args)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":" + PARTITIONS + "}").statusCode()).isIn(200, 201);
            TreeMap<String, String> written = new TreeMap<>();
            String token = null;
            for (int i = 0; i < 120; i++) {
                // Mostly a few KiB; every 15th larger than the whole bound, which an answer still carries alone.
                int size = i % 15 == 7 ? LARGEST : 1024 + (i * 977) % 6000;
                String key = "k/" + String.format("%03d", i);
                String value = (i + ":").repeat(size / 2 + 1).substring(0, size);
                HttpResponse<String> put = a.put(ns, key, value);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                written.put(key, value);
                token = put.headers().firstValue("KV-Token").orElseThrow();
            }
            String session = token;
            long totalBytes = written.values().stream().mapToLong(String::length).sum();
            assertThat(totalBytes).as("the values take many answers").isGreaterThan(8L * BOUND);

            for (LogKvNode node : List.of(a, b)) {
                // Until every partition has a serving replica on some node, a read may answer 503: wait for a full scan.
                Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    List<Integer> pageSizes = new ArrayList<>();
                    Map<String, String> scanned = scanAll(node, session, pageSizes);
                    assertThat(scanned.keySet()).as("every key once, in key order").containsExactlyElementsOf(written.keySet());
                    assertThat(scanned).isEqualTo(written);
                    assertThat(pageSizes.size()).as("pages of at most 1000 keys, ended by bytes").isGreaterThan(8);
                });

                List<String> asked = new ArrayList<>(written.descendingKeySet());
                asked.add("k/absent");
                Map<String, String> read = new LinkedHashMap<>();
                int rounds = 0;
                List<String> left = asked;
                while (!left.isEmpty()) {
                    JsonNode answer = batchGet(node, left, session);
                    rounds++;
                    JsonNode items = answer.path("items");
                    assertThat(items.size()).as("each answer reads at least one key").isPositive();
                    assertThat(valueBytes(items)).as("an answer's values").isLessThanOrEqualTo((long) PARTITIONS * Math.max(BOUND, LARGEST));
                    List<String> unread = new ArrayList<>();
                    answer.path("unread").forEach(key -> unread.add(key.asString()));
                    List<String> answered = new ArrayList<>();
                    items.forEach(item -> answered.add(item.path("key").asString()));
                    assertThat(answered.size() + unread.size()).isEqualTo(left.size());
                    assertThat(answered).as("items in request order").isEqualTo(left.stream().filter(answered::contains).toList());
                    assertThat(unread).as("unread keys in request order").isEqualTo(left.stream().filter(unread::contains).toList());
                    for (JsonNode item : items) {
                        String key = item.path("key").asString();
                        if (item.path("found").asBoolean()) {
                            read.put(key, new String(Base64.getDecoder().decode(item.path("value").asString()), StandardCharsets.UTF_8));
                        } else {
                            read.put(key, null);
                        }
                    }
                    left = unread;
                }
                assertThat(rounds).as("the keys' values take several answers").isGreaterThan(4);
                assertThat(read).hasSize(asked.size()).containsEntry("k/absent", null);
                written.forEach((key, value) -> assertThat(read.get(key)).as(key).isEqualTo(value));
            }

            HttpResponse<String> notANode = a.send(HttpRequest.newBuilder(URI.create(a.url("/v1/namespaces/" + ns + "/keys?value_bytes=10"))));
            assertThat(notANode.statusCode()).as("value_bytes is for nodes only").isEqualTo(400);
        }
    }

    private Map<String, String> scanAll(LogKvNode node, String token, List<Integer> pageSizes) {
        Map<String, String> values = new LinkedHashMap<>();
        String cursor = null;
        do {
            String query = "?prefix=" + URLEncoder.encode("k/", StandardCharsets.UTF_8) + "&limit=1000" + (cursor == null ? "" : "&after=" + cursor);
            HttpResponse<String> response = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/keys" + query)))
                    .header("KV-Token", token));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode page = JSON.readTree(response.body());
            JsonNode items = page.path("items");
            assertThat(items.size()).as("a page moves on").isPositive();
            assertThat(valueBytes(items)).as("a page's values").isLessThanOrEqualTo((long) PARTITIONS * Math.max(BOUND / PARTITIONS, LARGEST));
            pageSizes.add(items.size());
            for (JsonNode item : items) {
                String key = item.path("key").asString();
                assertThat(values).as("each key once").doesNotContainKey(key);
                values.put(key, new String(Base64.getDecoder().decode(item.path("value").asString()), StandardCharsets.UTF_8));
            }
            cursor = page.path("next").isMissingNode() || page.path("next").isNull() ? null : page.path("next").asString();
        } while (cursor != null);
        return values;
    }

    private JsonNode batchGet(LogKvNode node, List<String> keys, String token) {
        HttpResponse<String> answer = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/batch-get")))
                .header("Content-Type", "application/json")
                .header("KV-Token", token)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("keys", keys)))));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private static long valueBytes(JsonNode items) {
        long bytes = 0;
        for (JsonNode item : items) {
            if (item.hasNonNull("value")) {
                bytes += Base64.getDecoder().decode(item.path("value").asString()).length;
            }
        }
        return bytes;
    }
}
