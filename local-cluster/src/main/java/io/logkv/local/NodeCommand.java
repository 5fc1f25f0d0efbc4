package io.logkv.local;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/logkv node}: one LogKV node in this JVM, against any Kafka cluster, until SIGTERM (or Ctrl-C)
 * stops it. Stopping closes the Spring context, which finishes the writes in flight and leaves the
 * writers' group, so that the other nodes take over its partitions at once instead of after the group's
 * session timeout.
 * <p>
 * {@code bin/logkv local} runs each of its nodes this way, as a child JVM tethered to it (see
 * {@link LauncherTether} and {@link LogKvNodeProcess}).
 */
@Command(name = "node",
        description = {
            "Runs one LogKV node against a Kafka cluster (3 or more brokers) until SIGTERM or Ctrl-C.",
            "Start more nodes with other --node-id, --port and --data-dir against the same Kafka to share the work."},
        footer = {"", "Arguments after -- are Spring properties for the node (docs/configuration.md):",
            "  bin/logkv node --bootstrap-servers k1:9092 -- --logkv.writer.session-timeout=5s"})
final class NodeCommand implements Callable<Integer> {

    /**
     * How long the node may take to stop once its launcher is gone. The brokers are going down at the same
     * moment, so a handover that needs them could wait for its own timeouts, which are longer.
     */
    private static final Duration ORPHAN_SHUTDOWN = Duration.ofSeconds(20);

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "The Kafka cluster whose log is LogKV's truth.")
    String bootstrapServers;

    @Option(names = "--node-id", defaultValue = "node-1", paramLabel = "ID",
            description = "This node's name, unique among the nodes of the cluster (default: ${DEFAULT-VALUE}).")
    String nodeId;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT",
            description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the node keeps its replicas (default: ./data/ID).")
    Path dataDir;

    @Option(names = "--advertised-url", paramLabel = "URL",
            description = "Where the other nodes reach this one to forward writes and reads (default: http://localhost:PORT).")
    String advertisedUrl;

    @Parameters(paramLabel = "SPRING_ARG", arity = "0..*", description = "Further arguments for the node (after --).")
    List<String> springArguments = new ArrayList<>();

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws InterruptedException {
        boolean tethered = LauncherTether.isTethered();
        if (tethered) {
            LauncherTether.ignoreTerminalSignals();
            // System.exit runs Spring's shutdown hook, which stops the node as a SIGTERM would.
            LauncherTether.exitWhenLauncherIsGone("LogKV " + nodeId, ORPHAN_SHUTDOWN);
        }
        if (port < 1 || port > 65535) {
            err.println("--port " + port + " is not a TCP port");
            return 2;
        }
        Path data = dataDir != null ? dataDir : Path.of("data", nodeId);
        List<String> arguments = new ArrayList<>(LogKvNode.identity(nodeId, port, bootstrapServers, data));
        if (advertisedUrl != null) {
            arguments.add("--logkv.advertised-url=" + advertisedUrl);
        }
        arguments.addAll(springArguments);
        LogKvNode node;
        try {
            node = LogKvNode.run(nodeId, arguments, true);
        } catch (RuntimeException | LinkageError e) {
            // Spring has logged the cause; LinkageError: a class missing from the build, e.g. mid-rebuild.
            err.println("LogKV " + nodeId + " failed to start: " + e);
            return 1;
        }
        if (!tethered) {
            out.println("LogKV " + nodeId + " listening on http://localhost:" + port + " (Kafka: " + bootstrapServers
                    + ", data: " + data.toAbsolutePath() + "); SIGTERM or Ctrl-C stops it");
        }
        node.awaitStop();
        return 0;
    }
}
