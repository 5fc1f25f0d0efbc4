package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.KafkaTestCluster;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started the way {@code bin/logkv node} starts one (its own JVM, {@code LogKvCommand node}) joins a
 * Kafka cluster it did not start (the test kit's) and serves writes and reads: the path an operator takes
 * with the Kafka they already run.
 */
@Tag("integration")
class NodeAgainstTestKitClusterIT {

    @TempDir
    Path dir;

    @Test
    void aNodeProcessServesAgainstAnExistingKafkaCluster() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        LogKvNodeProcess node = new LogKvNodeProcess("joined-1", port, KafkaTestCluster.shared().bootstrapServers(),
                dir.resolve("data"), dir.resolve("node.log"), LogKvNodeProcess.Console.warningsTo(dir.resolve("console.log")), List.of());
        node.start();
        try {
            assertThat(node.awaitReady(Duration.ofSeconds(120))).as("%s ready; log: %s", node, node.logTail(30)).isEmpty();
            HttpClient http = HttpClient.newHttpClient();
            String namespace = "joined-" + Long.toString(System.nanoTime(), 36);
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/namespaces/" + namespace))
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"partitions\":2}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
            String key = node.url() + "/v1/namespaces/" + namespace + "/keys/greeting";
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(key)).timeout(Duration.ofSeconds(60))
                    .PUT(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(key))
                    .header("KV-Token", put.headers().firstValue("KV-Token").orElseThrow()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("hello");
        } finally {
            assertThat(node.stop(Duration.ofSeconds(30))).as("stopped in time").isTrue();
        }
    }
}
