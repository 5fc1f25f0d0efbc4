package io.logkv.query;

import io.logkv.materializer.LocalReplicas;
import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node whose replica applier thread dies stops following the log for good: it must say so on its
 * liveness probe (so that it is restarted) and on its readiness probe (so that it is taken out of service),
 * even when the thread died of something no {@code failure()} was recorded for.
 */
@Tag("integration")
class ApplierLivenessIT {

    @TempDir
    Path dataDir;

    @Test
    void livenessAndReadinessGoDownWhenTheReplicaApplierThreadDies() {
        try (LogKvNode node = LogKvNode.start("liveness", KafkaTestCluster.shared().bootstrapServers(), dataDir)) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(probe(node, "readiness").statusCode()).isEqualTo(200));
            HttpResponse<String> live = probe(node, "liveness");
            assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
            assertThat(live.body()).contains("\"status\":\"UP\"").contains("\"applier\"");

            LocalReplicas replicas = node.bean(LocalReplicas.class);
            replicas.killApplier();
            // The thread's death is the fault under test, not a failure of the test: Awaitility must not rethrow it.
            Awaitility.await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(10)).until(() -> !replicas.applierAlive());
            assertThat(replicas.failure()).as("the thread died of an error, which records no failure").isNull();

            HttpResponse<String> dead = probe(node, "liveness");
            assertThat(dead.statusCode()).as(dead.body()).isEqualTo(503);
            assertThat(dead.body()).contains("\"status\":\"DOWN\"").contains("the replica applier thread has stopped");
            HttpResponse<String> unready = probe(node, "readiness");
            assertThat(unready.statusCode()).as(unready.body()).isEqualTo(503);
            assertThat(unready.body()).contains("\"status\":\"DOWN\"");
        }
    }

    private static HttpResponse<String> probe(LogKvNode node, String group) {
        return node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/health/" + group))).GET());
    }
}
