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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node that cannot keep up says so at once: past {@code logkv.writer.max-pending-writes} waiting writes, or
 * past {@code logkv.writer.max-pending-bytes} of their keys and values, a write is answered {@code 503 overloaded}
 * with {@code Retry-After} without waiting, and is never written.
 */
@Tag("integration")
class WriteOverloadIT {

    private static final int MAX_PENDING = 4;
    private final NamespaceName ns = new NamespaceName("overload-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void writesBeyondTheQueueLimitAreRefusedAtOnce() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode node = LogKvNode.start("overload", kafka, dataDir, "--logkv.writer.max-pending-writes=" + MAX_PENDING)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            TopicPartition partition = new TopicPartition(ns.truthTopic(), 0);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.bean(PartitionOwner.class).owned().contains(partition));
            assertThat(node.put(ns.value(), "warm", "0").statusCode()).isEqualTo(200);

            // The partition's commit hangs: the writes the node accepts wait, up to the limit.
            node.bean(PartitionOwner.class).stallBeforeCommit();
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < MAX_PENDING; i++) {
                waiting.add(putAsync(node, "waiting-" + i));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.bean(PartitionOwner.class).pendingWrites() == MAX_PENDING);

            long start = System.nanoTime();
            HttpResponse<String> refused = putAsync(node, "refused").get(10, TimeUnit.SECONDS);
            long answeredMs = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("write past the queue limit answered %d in %d ms%n", refused.statusCode(), answeredMs);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.body()).contains("/overloaded");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(answeredMs).isLessThan(1_000);
            assertThat(waiting).allMatch(write -> !write.isDone());

            node.bean(PartitionOwner.class).resume();
            for (CompletableFuture<HttpResponse<String>> write : waiting) {
                assertThat(write.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            List<String> keys = KafkaTestCluster.shared().readCommitted(List.of(partition)).stream()
                    .filter(record -> record.key() != null && record.key().length > 0) // not a progress marker
                    .map(record -> new String(record.key(), StandardCharsets.UTF_8))
                    .toList();
            assertThat(keys).contains("waiting-0", "waiting-" + (MAX_PENDING - 1)).doesNotContain("refused");
        }
    }

    @Test
    void writesBeyondTheByteLimitAreRefusedAtOnceWhileTheFirstIsTakenWhateverItsSize() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String value = "v".repeat(40 * 1024);
        try (LogKvNode node = LogKvNode.start("overload-bytes", kafka, dataDir, "--logkv.writer.max-pending-bytes=64KB")) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            TopicPartition partition = new TopicPartition(ns.truthTopic(), 0);
            PartitionOwner owner = node.bean(PartitionOwner.class);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> owner.owned().contains(partition));
            assertThat(node.put(ns.value(), "warm", "0").statusCode()).isEqualTo(200);

            owner.stallBeforeCommit();
            // 40 KiB waits; another 40 KiB would make 80 KiB of the 64 KiB allowed; so would a larger one. A write
            // larger than the whole limit is taken when nothing waits.
            CompletableFuture<HttpResponse<String>> first = putAsync(node, "first", value);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> owner.pendingWrites() == 1);
            HttpResponse<String> refused = putAsync(node, "refused", value).get(10, TimeUnit.SECONDS);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.body()).contains("/overloaded");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            // 41 KiB in all: a small write still fits beside the first.
            CompletableFuture<HttpResponse<String>> small = putAsync(node, "small", "s".repeat(1024));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> owner.pendingWrites() == 2);

            owner.resume();
            assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(small.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> owner.pendingWrites() == 0);
            HttpResponse<String> alone = putAsync(node, "alone", "w".repeat(100 * 1024)).get(30, TimeUnit.SECONDS);
            assertThat(alone.statusCode()).as("a write larger than the limit, with nothing waiting: " + alone.body()).isEqualTo(200);
            List<String> keys = KafkaTestCluster.shared().readCommitted(List.of(partition)).stream()
                    .filter(record -> record.key() != null && record.key().length > 0)
                    .map(record -> new String(record.key(), StandardCharsets.UTF_8))
                    .toList();
            assertThat(keys).contains("first", "small", "alone").doesNotContain("refused");
        }
    }

    private CompletableFuture<HttpResponse<String>> putAsync(LogKvNode node, String key) {
        return putAsync(node, key, key);
    }

    private CompletableFuture<HttpResponse<String>> putAsync(LogKvNode node, String key, String value) {
        return HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), key)))
                        .timeout(Duration.ofSeconds(60))
                        .PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
