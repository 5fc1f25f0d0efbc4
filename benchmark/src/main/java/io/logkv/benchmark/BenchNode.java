package io.logkv.benchmark;

import io.logkv.query.LogKvApplication;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** A real LogKV node started in this JVM (Spring Boot, Tomcat on a free port, RocksDB in a directory). */
final class BenchNode implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);

    private final ConfigurableApplicationContext context;
    private final String baseUrl;

    private BenchNode(ConfigurableApplicationContext context) {
        this.context = context;
        this.baseUrl = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
    }

    /** Starts a node and returns once it is ready (every replica caught up); {@code extraArgs} are --name=value. */
    static BenchNode start(String nodeId, String bootstrapServers, Path dataDir, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--logkv.node-id=" + nodeId,
                "--logkv.kafka.bootstrap-servers=" + bootstrapServers,
                "--logkv.data-dir=" + dataDir,
                // Benchmarks measure the node's own paths; security's cost is measured on its own (docs/performance.md).
                "--logkv.security.mode=open"));
        args.addAll(List.of(extraArgs));
        BenchNode node = new BenchNode(new SpringApplicationBuilder(LogKvApplication.class).run(args.toArray(String[]::new)));
        awaitReady(new HttpKeys(node.baseUrl), READY_TIMEOUT);
        return node;
    }

    /** Waits until the node at {@code keys}' URL reports itself ready. */
    static void awaitReady(HttpKeys keys, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (keys.status("/actuator/health/readiness") != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the node did not become ready in " + timeout);
            }
            Pause.millis(100);
        }
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    String baseUrl() {
        return baseUrl;
    }

    @Override
    public void close() {
        context.close();
    }
}
