package io.logkv.local;

import io.logkv.query.LogKvApplication;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One LogKV node (the Spring Boot application of the query service) running inside the launcher's JVM.
 * The launcher, not Spring, owns the shutdown hook: the node must stop before the brokers it writes to.
 */
final class LogKvNode implements AutoCloseable {

    private final String nodeId;
    private final ConfigurableApplicationContext context;

    private LogKvNode(String nodeId, ConfigurableApplicationContext context) {
        this.nodeId = nodeId;
        this.context = context;
    }

    String nodeId() {
        return nodeId;
    }

    /**
     * Starts the node; returns once Spring has started it, which may be before it is ready (see {@link #awaitReady}).
     *
     * @param extraArguments further Spring arguments ({@code --name=value}) given after {@code --} on the command line
     */
    static LogKvNode start(String nodeId, int port, String bootstrapServers, Path dataDir, Path logFile,
                           boolean verbose, List<String> extraArguments) {
        List<String> arguments = new ArrayList<>(List.of(
                // The contract with the query service: these property names are what it reads.
                "--server.port=" + port,
                "--logkv.kafka.bootstrap-servers=" + bootstrapServers,
                "--logkv.data-dir=" + dataDir.toAbsolutePath(),
                "--logkv.node-id=" + nodeId,
                "--logging.file.name=" + logFile.toAbsolutePath()));
        if (!verbose) {
            // The terminal shows bin/logkv's progress lines and the node's warnings; the rest is in the file.
            arguments.add("--logging.threshold.console=WARN");
            arguments.add("--spring.main.banner-mode=off");
        }
        arguments.addAll(extraArguments);
        SpringApplication application = new SpringApplication(LogKvApplication.class);
        // Otherwise Spring names the launcher's main class as the application in its log.
        application.setMainApplicationClass(LogKvApplication.class);
        application.setRegisterShutdownHook(false);
        return new LogKvNode(nodeId, application.run(arguments.toArray(String[]::new)));
    }

    /**
     * Waits until the node's readiness probe ({@code /actuator/health/readiness}) answers 200: Spring has
     * started before the node's replicas have caught up, and a request then would only get a 503.
     *
     * @return empty when ready, or why not after {@code timeout} (the probe's last answer)
     */
    Optional<String> awaitReady(Duration timeout) throws InterruptedException {
        URI probe = URI.create("http://localhost:" + httpPort().orElseThrow() + "/actuator/health/readiness");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastAnswer = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                // 404: this node has no readiness probe, so there is nothing to wait for.
                if (response.statusCode() == 200 || response.statusCode() == 404) {
                    return Optional.empty();
                }
                lastAnswer = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                lastAnswer = e.toString();
            }
            Thread.sleep(250);
        }
        return Optional.of(lastAnswer);
    }

    /** The HTTP port the node actually listens on, if it runs a web server. */
    Optional<Integer> httpPort() {
        return Optional.ofNullable(context.getEnvironment().getProperty("local.server.port", Integer.class));
    }

    @Override
    public void close() {
        context.close();
    }
}
