package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Compare-and-set and put-if-absent, checked by each partition's single owner, across two nodes. */
@Tag("integration")
class ConditionalWriteIT {

    static final String NS = "conditional";
    @TempDir
    static Path dataDir;
    static LogKvNode first;
    static LogKvNode second;

    @BeforeAll
    static void startNodes() {
        first = LogKvNode.start("cond-a", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("a"));
        second = LogKvNode.start("cond-b", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("b"));
        assertThat(first.putNamespace(NS, "{\"partitions\":4}").statusCode()).isIn(200, 201);
    }

    @AfterAll
    static void stopNodes() {
        second.close();
        first.close();
    }

    @Test
    void compareAndSetSucceedsOnlyAgainstTheCurrentVersion() {
        HttpResponse<String> created = write(first, "PUT", casKey, "v1", "If-None-Match", "*");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        String v1 = created.headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> again = write(second, "PUT", casKey, "v1bis", "If-None-Match", "*");
        assertThat(again.statusCode()).isEqualTo(412);
        assertThat(again.headers().firstValue("ETag")).hasValue(v1);
        assertThat(again.headers().firstValue("Content-Type")).hasValue("application/problem+json");

        HttpResponse<String> updated = write(second, "PUT", casKey, "v2", "If-Match", v1);
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        String v2 = updated.headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> stale = write(first, "PUT", casKey, "v3", "If-Match", v1);
        assertThat(stale.statusCode()).isEqualTo(412);
        assertThat(stale.headers().firstValue("ETag")).hasValue(v2);

        assertThat(write(first, "DELETE", casKey, null, "If-Match", v1).statusCode()).isEqualTo(412);
        HttpResponse<String> deleted = write(first, "DELETE", casKey, null, "If-Match", v2);
        assertThat(deleted.statusCode()).isEqualTo(204);

        HttpResponse<String> onAbsent = write(second, "PUT", casKey, "v4", "If-Match", v2);
        assertThat(onAbsent.statusCode()).isEqualTo(412);
        assertThat(onAbsent.headers().firstValue("ETag")).isEmpty();
        HttpResponse<String> recreated = write(second, "PUT", casKey, "v5", "If-None-Match", "*");
        assertThat(recreated.statusCode()).isEqualTo(200);
        // With the re-creation's token (the delete's alone would allow a 404 until v5 is applied).
        assertThat(first.get(NS, casKey, "KV-Token", recreated.headers().firstValue("KV-Token").orElseThrow()).statusCode())
                .isEqualTo(200);
    }

    @Test
    void malformedConditionsAreRefused() {
        assertThat(write(first, "PUT", "c", "v", "If-Match", "not-quoted").statusCode()).isEqualTo(400);
        assertThat(write(first, "PUT", "c", "v", "If-Match", "\"zz\"").statusCode()).isEqualTo(400);
        assertThat(write(first, "PUT", "c", "v", "If-None-Match", "\"0000000000000000aaaaaaaa\"").statusCode()).isEqualTo(400);
    }

    @Test
    void ofFiftyConcurrentCreatorsExactlyOneWins() throws Exception {
        int creators = 50;
        ExecutorService pool = Executors.newFixedThreadPool(creators);
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Integer>> outcomes = new ArrayList<>();
        for (int i = 0; i < creators; i++) {
            LogKvNode node = i % 2 == 0 ? first : second;
            String value = "creator-" + i;
            outcomes.add(CompletableFuture.supplyAsync(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return write(node, "PUT", raceKey, value, "If-None-Match", "*").statusCode();
            }, pool));
        }
        start.countDown();
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<Integer> outcome : outcomes) {
            statuses.add(outcome.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
        assertThat(statuses).filteredOn(s -> s == 412).hasSize(creators - 1);
    }

    /** Fresh per run, so a rerun does not meet the keys an earlier run created. */
    private final String casKey = "cas-key-" + Long.toString(System.nanoTime(), 36);
    private final String raceKey = "race-key-" + Long.toString(System.nanoTime(), 36);

    static HttpResponse<String> write(LogKvNode node, String method, String key, String value, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.keyUrl(NS, key)))
                .method(method, value == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(value));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return node.send(request);
    }
}
