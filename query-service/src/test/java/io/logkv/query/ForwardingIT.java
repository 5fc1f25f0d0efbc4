package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.PartitionOwner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Requests that take a hop between nodes: they keep their caller's deadline and tell the client where to go. */
@Tag("integration")
class ForwardingIT {

    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(2);
    private final NamespaceName ns = new NamespaceName("deadline-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    /**
     * A forwarded write never outlives its caller: the forwarding node sends its time left, and the owner
     * refuses the write unsent once that has passed. Without it, the owner would keep the write queued for
     * its own delivery timeout and commit it after the client had been told 503.
     */
    @Test
    void anOwnerDropsAForwardedWriteWhoseCallerHasGivenUp() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = {"--logkv.writer.forward-timeout=" + FORWARD_TIMEOUT.toMillis() + "ms"};
        try (LogKvNode a = LogKvNode.start("deadline-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("deadline-b", kafka, dataDir.resolve("b"), args)) {
            // Owned first: with a forward timeout of 2 s, a write to a partition the group has not assigned yet
            // is rightly answered 503 no-owner once those 2 s pass, and a new namespace's assignment can take longer.
            LogKvNode owner = LogKvNode.ownerOfOnePartition(ns, a, b);
            LogKvNode forwarder = owner == a ? b : a;
            TopicPartition partition = new TopicPartition(ns.truthTopic(), 0);
            HttpResponse<String> first = owner.put(ns.value(), "first", "1");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);

            // The owner's commit hangs with one write in it; the forwarded write queues behind it.
            owner.bean(PartitionOwner.class).stallBeforeCommit();
            CompletableFuture<HttpResponse<String>> stalled = putAsync(owner, "stalled", "2");
            Thread.sleep(300);
            long start = System.nanoTime();
            HttpResponse<String> late = putAsync(forwarder, "late", "3").get(30, TimeUnit.SECONDS);
            long answeredMs = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("forwarded write answered %d after %d ms (forward timeout %d ms)%n",
                    late.statusCode(), answeredMs, FORWARD_TIMEOUT.toMillis());
            assertThat(late.statusCode()).as(late.body()).isEqualTo(503);
            assertThat(answeredMs).isLessThan(FORWARD_TIMEOUT.toMillis() + 1_500);

            Thread.sleep(1_000);
            owner.bean(PartitionOwner.class).resume();
            assertThat(stalled.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            // A later write proves the writer went on past the refused one.
            assertThat(owner.put(ns.value(), "after", "4").statusCode()).isEqualTo(200);

            assertThat(committedKeys(partition)).containsExactly("first", "stalled", "after");
        }
    }

    /** Answers that took a hop name the nodes that would have answered without it. */
    @Test
    void forwardedAnswersNameTheOwnerAndTheReplicas() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        // One copy per partition, and a replica that left a node's placement let go of after 1 s (not 30 s), so
        // that the node without the copy really forwards.
        String[] args = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s"};
        try (LogKvNode a = LogKvNode.start("hints-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("hints-b", kafka, dataDir.resolve("b"), args)) {
            LogKvNode owner = LogKvNode.ownerOfOnePartition(ns, a, b);
            LogKvNode other = owner == a ? b : a;
            String ownerUrl = owner.url("");

            HttpResponse<String> direct = owner.put(ns.value(), "k", "v");
            assertThat(direct.statusCode()).isEqualTo(200);
            assertThat(direct.headers().firstValue("KV-Owner")).isEmpty();
            HttpResponse<String> hopped = other.put(ns.value(), "k", "w");
            assertThat(hopped.statusCode()).as(hopped.body()).isEqualTo(200);
            assertThat(hopped.headers().firstValue("KV-Owner")).contains(ownerUrl);

            // One copy per partition: the owner's node holds it, the other node forwards every read there.
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> read = other.get(ns.value(), "k", "KV-Token", hopped.headers().firstValue("KV-Token").orElseThrow());
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.body()).isEqualTo("w");
                assertThat(read.headers().firstValue("KV-Replicas")).contains(ownerUrl);
            });
            HttpResponse<String> local = owner.get(ns.value(), "k");
            assertThat(local.statusCode()).isEqualTo(200);
            assertThat(local.headers().firstValue("KV-Replicas")).isEmpty();
        }
    }

    /**
     * Eventual reads forwarded to one node at the same moment travel together (one exchange for many), and
     * each still gets exactly the answer it would have had on its own: its own value, version, status and
     * problem, and a 304 for a matching {@code If-None-Match}. Malformed batches change nothing and answer 400.
     */
    @Test
    void concurrentForwardedReadsTravelTogetherAndEachGetsItsOwnAnswer() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s",
                "--logkv.replicas.forward-batches-in-flight=1"};
        try (LogKvNode a = LogKvNode.start("batch-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("batch-b", kafka, dataDir.resolve("b"), args)) {
            LogKvNode owner = LogKvNode.ownerOfOnePartition(ns, a, b);
            LogKvNode other = owner == a ? b : a;
            int keys = 300;
            java.util.Map<String, String> etags = new java.util.HashMap<>();
            String lastToken = null;
            for (int i = 0; i < keys; i++) {
                HttpResponse<String> put = owner.put(ns.value(), "key-" + i, "value-" + i);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                etags.put("key-" + i, put.headers().firstValue("ETag").orElseThrow());
                lastToken = put.headers().firstValue("KV-Token").orElseThrow();
            }
            for (int i = 0; i < keys; i += 10) {
                assertThat(owner.delete(ns.value(), "key-" + i).statusCode()).isEqualTo(204);
            }
            String deletedToken = owner.get(ns.value(), "key-1", "KV-Token", lastToken).headers().firstValue("KV-Token").orElseThrow();
            // Wait until the other node forwards (it holds no copy) and the copy has every write.
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> read = other.get(ns.value(), "key-0", "KV-Token", deletedToken);
                assertThat(read.statusCode()).as(read.body()).isEqualTo(404);
                assertThat(read.headers().firstValue("KV-Replicas")).isPresent();
            });

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<CompletableFuture<Void>> checks = new java.util.ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < keys; i++) {
                    String key = "key-" + i;
                    boolean deleted = i % 10 == 0;
                    boolean conditional = i % 10 == 5;
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(other.keyUrl(ns.value(), key)))
                            .timeout(Duration.ofSeconds(30)).GET();
                    if (conditional) {
                        request.header("If-None-Match", etags.get(key));
                    }
                    checks.add(client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()).thenAccept(read -> {
                        if (deleted) {
                            assertThat(read.statusCode()).as(key + ": " + read.body()).isEqualTo(404);
                            assertThat(read.body()).contains("/problems/key-not-found").contains("/keys/" + key + "\"");
                        } else if (conditional) {
                            assertThat(read.statusCode()).as(key + ": " + read.body()).isEqualTo(304);
                        } else {
                            assertThat(read.statusCode()).as(key + ": " + read.body()).isEqualTo(200);
                            assertThat(read.body()).isEqualTo("value-" + key.substring(4));
                            assertThat(read.headers().firstValue("ETag")).contains(etags.get(key));
                        }
                        assertThat(read.headers().firstValue("KV-Served-By")).isPresent();
                        assertThat(read.headers().firstValue("KV-Replicas")).contains(owner.url(""));
                    }));
                }
            }
            CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            double largestBatch = other.bean(io.micrometer.core.instrument.MeterRegistry.class)
                    .get("logkv.reads.forwarded.batch").summary().max();
            System.out.printf("forwarded reads: largest exchange carried %.0f reads%n", largestBatch);
            assertThat(largestBatch).as("reads forwarded at the same moment share an exchange").isGreaterThan(1);

            // Only nodes send batches, and a broken one is refused.
            HttpResponse<String> notANode = owner.send(HttpRequest.newBuilder(URI.create(owner.url("/v1/internal/reads")))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[]{1, 0, 0, 0, 1})));
            assertThat(notANode.statusCode()).as(notANode.body()).isEqualTo(400);
            assertThat(notANode.body()).contains("/problems/bad-forwarded-reads");
            for (byte[] broken : List.of(new byte[0], new byte[]{9}, new byte[]{1, 0, 0, 0, 1}, new byte[]{1, 0x7f, 0, 0, 0},
                    new byte[]{1, 0, 0, 0, 1, 0x7f, 0x7f, 0x7f, 0x7f})) {
                HttpResponse<String> refused = owner.send(HttpRequest.newBuilder(URI.create(owner.url("/v1/internal/reads")))
                        .header("KV-Forwarded-By", "test")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(broken)));
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
                assertThat(refused.body()).contains("/problems/bad-forwarded-reads");
            }
            assertThat(owner.get(ns.value(), "key-1").body()).isEqualTo("value-1");
        }
    }

    /** Creates the test's namespace with one partition and answers the node that owns it. */
    private CompletableFuture<HttpResponse<String>> putAsync(LogKvNode node, String key, String value) {
        return HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), key)))
                        .timeout(Duration.ofSeconds(60))
                        .PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> committedKeys(TopicPartition partition) {
        return KafkaTestCluster.shared().readCommitted(List.of(partition)).stream()
                .filter(record -> record.key() != null && record.key().length > 0) // not a progress marker
                .map(record -> new String(record.key(), StandardCharsets.UTF_8))
                .toList();
    }
}
