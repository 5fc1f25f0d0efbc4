package io.logkv.local;

import io.logkv.query.LogKvApplication;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;

/**
 * One LogKV node (the Spring Boot application of the query service) running in this JVM: the JVM of
 * {@code bin/logkv node}, or a test's.
 */
final class LogKvNode implements AutoCloseable {

    private final String nodeId;
    private final ConfigurableApplicationContext context;
    private final CountDownLatch closed;

    private LogKvNode(String nodeId, ConfigurableApplicationContext context, CountDownLatch closed) {
        this.nodeId = nodeId;
        this.context = context;
        this.closed = closed;
    }

    String nodeId() {
        return nodeId;
    }

    /**
     * Starts a node that logs to {@code logFile}, and to the console only its warnings unless {@code verbose};
     * whoever calls this stops it with {@link #close()}.
     *
     * @param extraArguments further Spring arguments ({@code --name=value}) given after {@code --} on the command line
     */
    static LogKvNode start(String nodeId, int port, String bootstrapServers, Path dataDir, Path logFile,
                           boolean verbose, List<String> extraArguments) {
        List<String> arguments = new ArrayList<>(identity(nodeId, port, bootstrapServers, dataDir));
        arguments.addAll(fileLogging(logFile, verbose));
        arguments.addAll(extraArguments);
        return run(nodeId, arguments, false);
    }

    /**
     * The Spring arguments that make a node this node. The contract with the query service: these property
     * names are what it reads.
     */
    static List<String> identity(String nodeId, int port, String bootstrapServers, Path dataDir) {
        return List.of(
                "--server.port=" + port,
                "--logkv.kafka.bootstrap-servers=" + bootstrapServers,
                "--logkv.data-dir=" + dataDir.toAbsolutePath(),
                "--logkv.node-id=" + nodeId);
    }

    /** The Spring arguments for {@code bin/logkv local}'s logging: all to the file, warnings to the terminal. */
    static List<String> fileLogging(Path logFile, boolean verbose) {
        List<String> arguments = new ArrayList<>(List.of("--logging.file.name=" + logFile.toAbsolutePath()));
        if (!verbose) {
            // The terminal shows bin/logkv's progress lines and the node's warnings; the rest is in the file.
            arguments.add("--logging.threshold.console=WARN");
            arguments.add("--spring.main.banner-mode=off");
        }
        return arguments;
    }

    /**
     * Starts the node; returns once Spring has started it, which may be before it is ready (see {@link #awaitReady}).
     *
     * @param springShutdownHook true when this JVM is the node's alone and a SIGTERM should stop it; false when
     *                           the caller stops it, e.g. before the brokers it writes to
     */
    static LogKvNode run(String nodeId, List<String> arguments, boolean springShutdownHook) {
        SpringApplication application = new SpringApplication(LogKvApplication.class);
        // Otherwise Spring names the launcher's main class as the application in its log.
        application.setMainApplicationClass(LogKvApplication.class);
        application.setRegisterShutdownHook(springShutdownHook);
        CountDownLatch closed = new CountDownLatch(1);
        application.addListeners((ApplicationListener<ContextClosedEvent>) event -> {
            // A child context (e.g. a separate management port's) closing is not the node stopping.
            if (event.getApplicationContext().getParent() == null) {
                closed.countDown();
            }
        });
        return new LogKvNode(nodeId, application.run(arguments.toArray(String[]::new)), closed);
    }

    /**
     * Waits until the node is ready to serve (see {@link NodeReadiness}).
     *
     * @return empty when ready, or why not after {@code timeout}
     */
    Optional<String> awaitReady(Duration timeout) throws InterruptedException {
        return new NodeReadiness(httpPort().orElseThrow()).await(timeout,
                () -> context.isActive() ? Optional.empty() : Optional.of("the node stopped"));
    }

    /** Blocks until the node begins to stop, whatever stops it (a SIGTERM, {@link #close()}). */
    void awaitStop() throws InterruptedException {
        closed.await();
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
