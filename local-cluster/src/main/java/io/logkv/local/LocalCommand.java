package io.logkv.local;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/logkv local}: a real three-broker Kafka cluster in child JVMs and one LogKV node in this JVM.
 * Ctrl-C (or SIGTERM) stops the node first, so it can finish its writes, and then the brokers.
 */
@Command(name = "local",
        description = {
            "Runs LogKV on this machine: a real 3-broker KRaft Kafka cluster (one JVM per broker) and a LogKV node.",
            "Data stays in --data-dir for the next start; Ctrl-C stops everything."},
        footer = {"", "Arguments after -- go to the LogKV node as Spring properties:", "  bin/logkv local -- --logging.level.io.logkv=DEBUG"})
final class LocalCommand implements Callable<Integer> {

    static final int DEFAULT_KAFKA_PORT = 19092;
    private static final Duration KAFKA_START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_NODES = 9;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT",
            description = "HTTP port of the LogKV node (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Where Kafka and LogKV keep their data, relative to the current directory (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--nodes", defaultValue = "1", paramLabel = "N",
            description = "Number of LogKV nodes, on ports PORT, PORT+1, ... (default: ${DEFAULT-VALUE}, at most 9).")
    int nodes;

    @Option(names = "--kafka-port", paramLabel = "PORT",
            description = "First of six consecutive Kafka ports: three brokers, then their three controllers"
                    + " (default: " + DEFAULT_KAFKA_PORT + ", or the ports of the cluster already in --data-dir).")
    Integer kafkaPort;

    @Option(names = {"-v", "--verbose"}, description = "Show the LogKV node's whole log on the console, not only its warnings.")
    boolean verbose;

    @Parameters(paramLabel = "SPRING_ARG", arity = "0..*", description = "Further arguments for the LogKV node (after --).")
    List<String> nodeArguments = new ArrayList<>();

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;
    private volatile LocalKafkaCluster cluster;
    private final List<LogKvNode> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean stopping;

    @Override
    public Integer call() throws InterruptedException {
        String usageError = usageError();
        if (usageError != null) {
            err.println(usageError);
            return 2;
        }
        Path data = dataDir.toAbsolutePath().normalize();
        try {
            KafkaPorts ports = kafkaPorts(data.resolve("kafka"));
            String busy = busyPortMessage(ports);
            if (busy != null) {
                err.println(busy);
                return 1;
            }
            cluster = new LocalKafkaCluster(data.resolve("kafka"), ports, KafkaJvm.fromBuild(), out::println);
        } catch (IOException | IllegalStateException e) {
            err.println("cannot start: " + e.getMessage());
            return 1;
        }
        // Registered before anything starts, so that a Ctrl-C during startup also stops what did start.
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopEverything, "logkv-local-stop"));
        try {
            cluster.start(KAFKA_START_TIMEOUT);
        } catch (KafkaStartException e) {
            return failure("Kafka failed to start: " + e.getMessage() + "\n" + e.logTail());
        } catch (IOException | IllegalStateException e) {
            return failure("Kafka failed to start: " + e.getMessage());
        }
        for (int i = 1; i <= nodes; i++) {
            if (!startNode(data, "node-" + i, port + i - 1)) {
                return 1;
            }
        }
        printWelcome(data);
        // Everything runs on other threads now; this one only keeps the command alive until a signal.
        new CountDownLatch(1).await();
        return 0;
    }

    private String usageError() {
        if (nodes < 1 || nodes > MAX_NODES) {
            return "--nodes must be between 1 and " + MAX_NODES;
        }
        if (port < 0 || port + nodes - 1 > 65535) {
            return "--port " + port + " is not a TCP port";
        }
        if (kafkaPort != null && (kafkaPort < 1 || kafkaPort > 65535 - 2 * LocalKafkaCluster.NODES)) {
            return "--kafka-port " + kafkaPort + " leaves no room for six consecutive TCP ports";
        }
        return null;
    }

    /** A failure while Ctrl-C is already stopping everything is a consequence, not news. */
    private int failure(String message) {
        if (!stopping) {
            err.println(message.strip());
        }
        return 1;
    }

    /** The ports of the cluster already in the data directory win: its controllers cannot move. */
    private KafkaPorts kafkaPorts(Path kafkaDir) throws IOException {
        Optional<KafkaPorts> existing = LocalKafkaCluster.existingPorts(kafkaDir);
        if (kafkaPort == null) {
            return existing.orElseGet(() -> KafkaPorts.consecutive(DEFAULT_KAFKA_PORT, LocalKafkaCluster.NODES));
        }
        KafkaPorts requested = KafkaPorts.consecutive(kafkaPort, LocalKafkaCluster.NODES);
        if (existing.isPresent() && !existing.get().controllerPorts().equals(requested.controllerPorts())) {
            throw new IllegalStateException("the Kafka cluster in " + kafkaDir + " was created with --kafka-port "
                    + existing.get().brokerPort(1) + "; run without --kafka-port, or use another --data-dir");
        }
        return requested;
    }

    /** Checked up front: a clash found by the third broker or by Tomcat would cost a slow start and stop. */
    private String busyPortMessage(KafkaPorts ports) {
        int kafkaBusy = ports.firstPortInUse();
        if (kafkaBusy >= 0) {
            return "port " + kafkaBusy + " is in use; is another bin/logkv local running? Stop it, or choose other"
                    + " Kafka ports with --kafka-port and another --data-dir";
        }
        for (int i = 0; i < nodes; i++) {
            if (!KafkaPorts.isFree(port + i)) {
                return "port " + (port + i) + " is in use; choose another with --port";
            }
        }
        return null;
    }

    private boolean startNode(Path data, String nodeId, int nodePort) throws InterruptedException {
        out.println("starting LogKV " + nodeId + " on port " + nodePort + " ...");
        long startedAt = System.nanoTime();
        LogKvNode node;
        try {
            node = LogKvNode.start(nodeId, nodePort, cluster.bootstrapServers(), data.resolve(nodeId), nodeLog(data, nodeId),
                    verbose, nodeArguments);
            started.add(node);
        } catch (RuntimeException | LinkageError e) {
            // LinkageError: a class of the node missing from the build, e.g. while a module is being rebuilt.
            failure("LogKV " + nodeId + " failed to start: " + rootCause(e) + "\nits log: " + nodeLog(data, nodeId)
                    + "; stopping Kafka ...");
            return false;
        }
        if (node.httpPort().isEmpty()) {
            failure("LogKV " + nodeId + " started without an HTTP server; its log: " + nodeLog(data, nodeId));
            return false;
        }
        node.awaitReady(NODE_READY_TIMEOUT).ifPresent(notReady -> err.println("WARNING: LogKV " + nodeId
                + " is not ready after " + NODE_READY_TIMEOUT.toSeconds() + " s; its readiness probe says: " + notReady));
        out.printf(Locale.ROOT, "LogKV %s ready in %.1f s%n", nodeId, (System.nanoTime() - startedAt) / 1e9);
        return true;
    }

    private void printWelcome(Path data) {
        String url = "http://localhost:" + started.get(0).httpPort().orElseThrow();
        out.println();
        for (LogKvNode node : started) {
            out.println("LogKV listening on http://localhost:" + node.httpPort().orElseThrow());
        }
        out.println("  Kafka:  " + cluster.bootstrapServers());
        out.println("  data:   " + data);
        out.println("  logs:   " + data.resolve("logs") + "/node-N.log, " + data.resolve("kafka") + "/broker-N/logs/");
        out.println();
        out.println("Try it:");
        out.println("  curl -X PUT -H 'Content-Type: text/plain' --data-binary 'hello' " + url + "/v1/namespaces/default/keys/greeting");
        out.println("  curl " + url + "/v1/namespaces/default/keys/greeting");
        out.println();
        out.println("Press Ctrl-C to stop.");
    }

    private static Path nodeLog(Path data, String nodeId) {
        return data.resolve("logs").resolve(nodeId + ".log");
    }

    /** The shutdown hook: the node first, while the brokers can still take its last writes, then the brokers. */
    private void stopEverything() {
        stopping = true;
        LocalKafkaCluster runningCluster = cluster;
        boolean brokersRunning = runningCluster != null
                && runningCluster.brokers().stream().anyMatch(KafkaBrokerProcess::isAlive);
        if (started.isEmpty() && !brokersRunning) {
            return;
        }
        List<LogKvNode> nodesNewestFirst = new ArrayList<>(started);
        java.util.Collections.reverse(nodesNewestFirst);
        for (LogKvNode node : nodesNewestFirst) {
            out.println("stopping LogKV " + node.nodeId() + " ...");
            try {
                node.close();
            } catch (RuntimeException e) {
                err.println("LogKV " + node.nodeId() + " did not stop cleanly: " + rootCause(e));
            }
        }
        if (brokersRunning) {
            out.println("stopping Kafka brokers ...");
            try {
                runningCluster.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        out.println("stopped");
    }

    private static String rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause == failure ? String.valueOf(failure.getMessage())
                : failure.getMessage() + " (cause: " + cause + ")";
    }
}
