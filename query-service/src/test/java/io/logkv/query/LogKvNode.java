package io.logkv.query;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** A real LogKV node (Spring Boot, Tomcat on a random port, RocksDB in a directory) started by a test. */
public final class LogKvNode implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String nodeId;
    private final String bootstrapServers;
    private final Path dataDir;
    private final List<String> extraArgs;
    private ConfigurableApplicationContext context;
    private String baseUrl;

    private LogKvNode(String nodeId, String bootstrapServers, Path dataDir, List<String> extraArgs) {
        this.nodeId = nodeId;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
        this.extraArgs = extraArgs;
    }

    /** Starts a node; {@code extraArgs} are further {@code --name=value} properties. */
    public static LogKvNode start(String nodeId, String bootstrapServers, Path dataDir, String... extraArgs) {
        LogKvNode node = new LogKvNode(nodeId, bootstrapServers, dataDir, List.of(extraArgs));
        node.start();
        return node;
    }

    /** Starts (again) on the same data directory. */
    public void start() {
        List<String> args = new ArrayList<>(List.of(
                "--logkv.node-id=" + nodeId,
                "--logkv.kafka.bootstrap-servers=" + bootstrapServers,
                "--logkv.data-dir=" + dataDir,
                "--logkv.replicas.block-cache=32MB",
                "--logkv.replicas.write-buffers=16MB"));
        if (extraArgs.stream().noneMatch(arg -> arg.startsWith("--server.port="))) {
            args.add("--server.port=0");
        }
        if (extraArgs.stream().noneMatch(arg -> arg.startsWith("--logkv.security.mode="))) {
            // Nodes refuse to start unsecured unless told to; tests of security configure it themselves.
            args.add("--logkv.security.mode=open");
        }
        args.addAll(extraArgs);
        context = new SpringApplicationBuilder(LogKvApplication.class).run(args.toArray(String[]::new));
        baseUrl = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
    }

    public void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    /**
     * Stops answering HTTP at once, as a crashed process would (connections are refused), while the
     * node's Kafka clients stay in their groups until {@link #stop()}.
     */
    public void stopAnsweringHttp() {
        ((org.springframework.boot.web.server.context.WebServerApplicationContext) context).getWebServer().stop();
    }

    @Override
    public void close() {
        stop();
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    /** Every bean of {@code type}, by name; empty when there is none. */
    public <T> java.util.Map<String, T> beans(Class<T> type) {
        return context.getBeansOfType(type);
    }

    public Path dataDir() {
        return dataDir;
    }

    public String url(String path) {
        return baseUrl + path;
    }

    /** The URL of a key, its name percent-encoded as one path segment. */
    public String keyUrl(String namespace, String key) {
        return url("/v1/namespaces/" + namespace + "/keys/" + encodeSegment(key));
    }

    public static String encodeSegment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<byte[]> sendForBytes(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> put(String namespace, String key, String value) {
        return send(HttpRequest.newBuilder(URI.create(keyUrl(namespace, key)))
                .header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString(value)));
    }

    public HttpResponse<String> get(String namespace, String key, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(keyUrl(namespace, key))).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request);
    }

    public HttpResponse<String> delete(String namespace, String key) {
        return send(HttpRequest.newBuilder(URI.create(keyUrl(namespace, key))).DELETE());
    }

    /**
     * Creates {@code namespace} with one partition through {@code a} and waits until {@code a} or {@code b}
     * owns that partition; the owner.
     */
    public static LogKvNode ownerOfOnePartition(io.logkv.core.NamespaceName namespace, LogKvNode a, LogKvNode b) {
        int status = a.putNamespace(namespace.value(), "{\"partitions\":1}").statusCode();
        if (status != 200 && status != 201) {
            throw new IllegalStateException("creating " + namespace.value() + " answered " + status);
        }
        org.apache.kafka.common.TopicPartition partition = new org.apache.kafka.common.TopicPartition(namespace.truthTopic(), 0);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> a.ownsWrites(partition) || b.ownsWrites(partition));
        return a.ownsWrites(partition) ? a : b;
    }

    private boolean ownsWrites(org.apache.kafka.common.TopicPartition partition) {
        return bean(io.logkv.writer.PartitionOwner.class).owned().contains(partition);
    }

    public HttpResponse<String> putNamespace(String namespace, String json) {
        return send(HttpRequest.newBuilder(URI.create(url("/v1/namespaces/" + namespace)))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }
}
