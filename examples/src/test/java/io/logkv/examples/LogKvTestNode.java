package io.logkv.examples;

import io.logkv.query.LogKvApplication;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** A real LogKV node (Spring Boot, HTTP on a random port, RocksDB in a directory), started in-process by a test. */
final class LogKvTestNode implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final ConfigurableApplicationContext context;
    private final String baseUrl;

    private LogKvTestNode(ConfigurableApplicationContext context) {
        this.context = context;
        this.baseUrl = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
    }

    static LogKvTestNode start(String nodeId, String bootstrapServers, Path dataDir) {
        return new LogKvTestNode(new SpringApplicationBuilder(LogKvApplication.class).run(
                "--logkv.node-id=" + nodeId,
                "--logkv.kafka.bootstrap-servers=" + bootstrapServers,
                "--logkv.data-dir=" + dataDir,
                "--logkv.replicas.block-cache=32MB",
                "--logkv.replicas.write-buffers=16MB",
                "--logkv.security.mode=open",
                "--server.port=0"));
    }

    HttpResponse<String> putNamespace(String namespace, String json) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/namespaces/" + namespace))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A session read of {@code key} that waits up to 10 s for the token's positions. */
    HttpResponse<String> get(String namespace, String key, String token) {
        String segment = URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/namespaces/" + namespace + "/keys/" + segment + "?wait_ms=10000"))
                .header("KV-Token", token).GET());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
