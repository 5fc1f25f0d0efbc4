package io.logkv.local;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Starts the LogKV nodes of a {@code bin/logkv local} run, each in its own child JVM, one at a time until it
 * is ready; and says so when one of them exits without being stopped.
 */
final class LocalNodes {

    private static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(60);

    private final LocalRun run;
    private final PrintStream out;
    private final PrintStream err;
    /** The arguments after {@code --}, for every node. */
    private final List<String> nodeArguments;
    /** Where each node's console output goes: the terminal for bin/logkv local, a file for a test. */
    private final LogKvNodeProcess.Console console;
    /** The nodes of each region. */
    private final int nodes;

    LocalNodes(LocalRun run, PrintStream out, PrintStream err, List<String> nodeArguments, LogKvNodeProcess.Console console, int nodes) {
        this.run = run;
        this.out = out;
        this.err = err;
        this.nodeArguments = nodeArguments;
        this.console = console;
        this.nodes = nodes;
    }

    /**
     * Starts one node and waits until it is ready; false, the failure said, when it could not start.
     *
     * @param kafka how the node reaches its region's cluster ({@link LocalKafkaCluster#nodeAccess()})
     */
    boolean start(Path data, String nodeId, int nodePort, NodeKafkaAccess kafka, List<String> regionArguments)
            throws InterruptedException {
        out.println("starting LogKV " + nodeId + " on port " + nodePort + " ...");
        long startedAt = System.nanoTime();
        List<String> arguments = new ArrayList<>(regionArguments);
        arguments.addAll(nodeArguments);
        LogKvNodeProcess node = new LogKvNodeProcess(nodeId, nodePort, kafka, data.resolve(nodeId),
                nodeLog(data, nodeId), console, LocalCommand.withLocalDefaults(data, arguments));
        try {
            node.start();
            run.started(node);
        } catch (IOException e) {
            run.failure("LogKV " + nodeId + " failed to start: " + e.getMessage() + "; stopping Kafka ...");
            return false;
        }
        Optional<String> notReady = node.awaitReady(NODE_READY_TIMEOUT);
        if (!node.isAlive()) {
            // Its own console output, above, says why.
            run.failure("LogKV " + nodeId + " failed to start: " + notReady.orElse("its process exited") + "; its log: "
                    + nodeLog(data, nodeId) + "; stopping Kafka ...");
            return false;
        }
        notReady.ifPresent(why -> err.println("WARNING: LogKV " + nodeId + " is not ready after "
                + NODE_READY_TIMEOUT.toSeconds() + " s; its readiness probe says: " + why));
        node.process().orElseThrow().onExit().thenAccept(exited -> reportUnexpectedExit(node, exited));
        out.printf(Locale.ROOT, "LogKV %s ready in %.1f s (pid %d)%n", nodeId, (System.nanoTime() - startedAt) / 1e9,
                node.processHandle().orElseThrow().pid());
        return true;
    }

    /** A node killed by hand is worth a line: the other nodes take over its partitions, the launcher goes on. */
    private void reportUnexpectedExit(LogKvNodeProcess node, Process exited) {
        if (!run.isStopping()) {
            err.println("WARNING: LogKV " + node.nodeId() + " exited (exit code " + exited.exitValue() + "); "
                    + (nodes > 1 ? "the other nodes take over its partitions; " : "") + "its log: " + node.logFile());
        }
    }

    private static Path nodeLog(Path data, String nodeId) {
        return data.resolve("logs").resolve(nodeId + ".log");
    }
}
