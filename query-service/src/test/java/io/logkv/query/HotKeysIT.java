package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A key read and written often is reported by the admin endpoint and the gauge; a key read once is not. */
class HotKeysIT {

    @TempDir
    static Path dataDir;
    static LogKvNode node;

    @BeforeAll
    static void startNode() {
        node = LogKvNode.start("hot-keys", KafkaTestCluster.shared().bootstrapServers(), dataDir,
                "--logkv.writer.group-id=hot-keys-writers", "--logkv.namespaces.bootstrap=hot",
                "--logkv.hot-keys.window=2s", "--logkv.hot-keys.min-rate=20");
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @Test
    void aHotKeyIsReportedWithItsReadsAndWritesAndAColdOneIsNot() {
        HttpResponse<String> cold = node.put("hot", "cold-key", "once");
        assertThat(cold.statusCode()).as(cold.body()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> put = node.put("hot", "hot-key", "v" + i);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                String token = put.headers().firstValue("KV-Token").orElseThrow();
                for (int j = 0; j < 10; j++) {
                    assertThat(node.get("hot", "hot-key", "KV-Token", token).statusCode()).isEqualTo(200);
                }
            }
            HttpResponse<String> report = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/admin/hot-keys"))).GET());
            assertThat(report.statusCode()).as(report.body()).isEqualTo(200);
            assertThat(report.body()).contains("\"namespace\":\"hot\",\"key\":\"hot-key\"").doesNotContain("cold-key");
            assertThat(report.body()).containsPattern("\"key\":\"hot-key\",\"readsPerSecond\":[1-9][0-9]*,\"writesPerSecond\":[1-9]");
            HttpResponse<String> metrics = node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/prometheus"))).GET());
            assertThat(metrics.body()).containsPattern("(?m)^logkv_keys_hot(\\{[^}]*\\})? [1-9]");
        });
    }
}
