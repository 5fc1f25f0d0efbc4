package io.logkv.deployment;

import io.logkv.query.LogKvApplication;
import io.logkv.testkit.KafkaTestCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.FileSystemUtils;

/**
 * A real LogKV node, started on the shared in-process Kafka cluster with the Spring arguments that
 * docker-compose.yml gives its nodes, which writes, reads and answers {@code /actuator/prometheus}: the
 * names in that answer are what dashboards and alerts may use.
 */
final class LiveNodeScrape {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LiveNodeScrape() {
    }

    static Set<String> scrape(List<String> deployedSpringArguments) throws IOException, InterruptedException {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        Path dataDir = Files.createTempDirectory("logkv-metrics-node");
        List<String> arguments = new ArrayList<>(List.of(
                "--server.port=0",
                "--logkv.node-id=metrics-node",
                "--logkv.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--logkv.data-dir=" + dataDir,
                "--logkv.replicas.block-cache=16MB",
                "--logkv.replicas.write-buffers=8MB",
                "--logkv.namespaces.default-partitions=2",
                "--logkv.writer.group-id=metrics-node-writers",
                "--logkv.namespaces.bootstrap=metrics",
                "--logkv.security.mode=open"));
        arguments.addAll(deployedSpringArguments);
        ConfigurableApplicationContext node = new SpringApplicationBuilder(LogKvApplication.class)
                .run(arguments.toArray(String[]::new));
        try {
            String base = "http://localhost:" + node.getEnvironment().getProperty("local.server.port");
            // A write and reads of a key, and another API request, so that request and write-path meters carry samples.
            send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/metrics/keys/k"))
                    .PUT(HttpRequest.BodyPublishers.ofString("v")), 200);
            send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/metrics/keys/k?consistency=strong")).GET(), 200);
            send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/metrics/keys/k")).GET(), 200);
            send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces")).GET(), 200);
            return ExportedMetrics.sampleNames(
                    send(HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus")).GET(), 200));
        } finally {
            node.close();
            FileSystemUtils.deleteRecursively(dataDir);
        }
    }

    private static String send(HttpRequest.Builder request, int expectedStatus) throws IOException, InterruptedException {
        // A node answers writes once it owns the partition; right after start that may take a moment.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == expectedStatus) {
                return response.body();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(response.uri() + " answered " + response.statusCode() + ": " + response.body());
            }
            Thread.sleep(200);
        }
    }
}
