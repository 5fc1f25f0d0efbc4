package io.logkv.query;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.PartitionOwner;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** A write retried with the same Idempotency-Key is written once, even when the owner fails in between. */
@Tag("integration")
class IdempotentRetryIT {

    private final NamespaceName NS = new NamespaceName("idempotent-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void aRetryWithTheSameKeyAcrossAnOwnerFailOverWritesExactlyOnce() {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode a = LogKvNode.start("idem-a", kafka, dataDir.resolve("a"), "--logkv.writer.session-timeout=1s");
             LogKvNode b = LogKvNode.start("idem-b", kafka, dataDir.resolve("b"), "--logkv.writer.session-timeout=1s")) {
            assertThat(a.putNamespace(NS.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            TopicPartition partition = new TopicPartition(NS.truthTopic(), 0);

            HttpResponse<String> first = put(a, "order-1", "payload", "retry-me-42");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            String version = first.headers().firstValue("ETag").orElseThrow();

            HttpResponse<String> sameNode = put(b, "order-1", "payload", "retry-me-42");
            assertThat(sameNode.statusCode()).isEqualTo(200);
            assertThat(sameNode.headers().firstValue("ETag")).hasValue(version);

            LogKvNode owner = a.bean(PartitionOwner.class).owned().contains(partition) ? a : b;
            LogKvNode survivor = owner == a ? b : a;
            owner.stop();
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
                    survivor.bean(PartitionOwner.class).owned().contains(partition));

            HttpResponse<String> afterFailOver = put(survivor, "order-1", "payload", "retry-me-42");
            assertThat(afterFailOver.statusCode()).as(afterFailOver.body()).isEqualTo(200);
            assertThat(afterFailOver.headers().firstValue("ETag")).hasValue(version);

            HttpResponse<String> other = put(survivor, "order-1", "other payload", "another-key");
            assertThat(other.headers().firstValue("ETag")).isPresent().isNotEqualTo(version);
            assertThat(recordsCarrying(partition, "retry-me-42")).isEqualTo(1);
        }
    }

    @Test
    void malformedIdempotencyKeysAreRefused() {
        try (LogKvNode node = LogKvNode.start("idem-c", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("c"))) {
            assertThat(node.putNamespace(NS.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            assertThat(put(node, "k", "v", "x".repeat(257)).statusCode()).isEqualTo(400);
            assertThat(put(node, "k", "v", "has space").statusCode()).isEqualTo(400);
        }
    }

    private HttpResponse<String> put(LogKvNode node, String key, String value, String idempotencyKey) {
        return node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(NS.value(), key)))
                .header("Idempotency-Key", idempotencyKey)
                .PUT(HttpRequest.BodyPublishers.ofString(value)));
    }

    private static long recordsCarrying(TopicPartition partition, String idempotencyKey) {
        return KafkaTestCluster.shared().readCommitted(List.of(partition)).stream()
                .map(record -> IdempotentOutcome.keyOf(record.headers()))
                .filter(key -> key != null && new String(key, StandardCharsets.UTF_8).equals(idempotencyKey))
                .count();
    }
}
