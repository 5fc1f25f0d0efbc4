package io.logkv.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One LogKV node as a child JVM running {@code bin/logkv node}, so that it can be stopped, killed and
 * restarted like a node on its own machine, and does not share a heap with the other nodes. The child
 * runs on this JVM's own classpath and {@code java}, and is tethered to this JVM (see {@link LauncherTether}):
 * it exits when this JVM is gone, however it went.
 */
public final class LogKvNodeProcess {

    /**
     * A bounded heap (values live in RocksDB, off-heap, so 1 GiB is plenty) lets several nodes and three
     * brokers share a developer's machine; G1 for short pauses, whatever the machine's default collector.
     */
    public static final List<String> JVM_OPTIONS = List.of(
            "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true");

    /**
     * Spring Boot prefers a {@code logback-test.xml} or {@code logback.xml} on the classpath to its own
     * logging, and would then ignore {@code logging.file.name}; a test's or the benchmark's classpath has one.
     * Given as a system property, so that a {@code --logging.config} argument still wins.
     */
    private static final String LOGGING_CONFIG = "classpath:io/logkv/local/node-logback.xml";

    private final String nodeId;
    private final int port;
    private final NodeKafkaAccess kafka;
    private final Path dataDir;
    private final Path logFile;
    private final Console console;
    private final List<String> springArguments;
    private final ChildJvm jvmProcess;

    /**
     * Where the node's stdout and stderr go, and whether they carry its whole log or only its warnings.
     *
     * @param target     the terminal ({@link ProcessBuilder.Redirect#INHERIT}) or a file
     * @param everything the whole log, not only warnings and crashes
     */
    public record Console(ProcessBuilder.Redirect target, boolean everything) {

        /** This JVM's own stdout, as {@code bin/logkv local} shows it. */
        public static Console terminal(boolean everything) {
            return new Console(ProcessBuilder.Redirect.INHERIT, everything);
        }

        /** Warnings and crashes appended to {@code file}; for tests, whose stdout is the test runner's channel. */
        public static Console warningsTo(Path file) {
            return new Console(ProcessBuilder.Redirect.appendTo(file.toFile()), false);
        }
    }

    /** A node against a cluster that takes clients as they are (see the other constructor for the parameters). */
    public LogKvNodeProcess(String nodeId, int port, String bootstrapServers, Path dataDir, Path logFile,
                            Console console, List<String> springArguments) {
        this(nodeId, port, NodeKafkaAccess.plain(bootstrapServers), dataDir, logFile, console, springArguments);
    }

    /**
     * A node that reaches its Kafka cluster as {@code kafka} says: its bootstrap servers, its client settings on the
     * command line, and its secret ones in the child's environment.
     *
     * @param port            the node's HTTP port; a real one, not 0, since readiness is probed on it
     * @param logFile         the node's whole log
     * @param springArguments further Spring arguments for the node ({@code --name=value})
     */
    public LogKvNodeProcess(String nodeId, int port, NodeKafkaAccess kafka, Path dataDir, Path logFile,
                            Console console, List<String> springArguments) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("a LogKV node process needs a real TCP port, not " + port);
        }
        this.nodeId = nodeId;
        this.port = port;
        this.kafka = kafka;
        this.dataDir = dataDir.toAbsolutePath();
        this.logFile = logFile.toAbsolutePath();
        this.console = console;
        this.springArguments = List.copyOf(springArguments);
        this.jvmProcess = new ChildJvm("LogKV " + nodeId);
    }

    public String nodeId() {
        return nodeId;
    }

    public int port() {
        return port;
    }

    /** The URL other nodes know this node by (its default advertised URL) and clients reach it at. */
    public String url() {
        return "http://localhost:" + port;
    }

    public Path logFile() {
        return logFile;
    }

    /** Where the node keeps its replicas; kept across {@link #kill()} and {@link #start()} unless {@link #wipeData() wiped}. */
    public Path dataDirectory() {
        return dataDir;
    }

    /**
     * Deletes the node's data directory, as a replaced disk or machine would leave it: the next
     * {@link #start()} rebuilds every replica from the log. Only while the node is not running.
     */
    public void wipeData() throws IOException {
        if (isAlive()) {
            throw new IllegalStateException(this + " is running; kill or stop it before wiping " + dataDir);
        }
        if (!Files.exists(dataDir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dataDir)) {
            // Deepest first, so that every directory is empty when its turn comes.
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /**
     * Starts the node's JVM; after {@link #stop} or {@link #kill}, starts it again on the same data
     * directory, as a restarted machine would. Returns before the node is ready (see {@link #awaitReady}).
     */
    public void start() throws IOException {
        Files.createDirectories(logFile.getParent());
        ProcessBuilder builder = new ProcessBuilder(command());
        // The classpath goes through the environment, not the command line, so that ps stays readable.
        builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        // Options meant for the launcher (e.g. a debugger agent) must not leak into the node.
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().putAll(kafka.environment());
        // Stdin stays a pipe from this JVM: its end tells the node that the launcher is gone.
        builder.redirectErrorStream(true).redirectOutput(console.target());
        jvmProcess.start(builder);
    }

    private List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-D" + LauncherTether.EXIT_WITH_LAUNCHER_PROPERTY + "=true");
        command.add("-Dlogging.config=" + LOGGING_CONFIG);
        command.add(LogKvCommand.class.getName());
        command.addAll(List.of("node",
                "--node-id", nodeId,
                "--port", String.valueOf(port),
                "--bootstrap-servers", kafka.bootstrapServers(),
                "--data-dir", dataDir.toString(),
                "--"));
        command.addAll(LogKvNode.fileLogging(logFile, console.everything()));
        command.addAll(kafka.springArguments());
        command.addAll(springArguments);
        return command;
    }

    /**
     * Waits until the node is ready to serve (see {@link NodeReadiness}), or its JVM has exited.
     *
     * @return empty when ready, or why not
     */
    public Optional<String> awaitReady(Duration timeout) throws InterruptedException {
        return new NodeReadiness(port).await(timeout, () -> process()
                .filter(current -> !current.isAlive())
                .map(exited -> "its process exited with code " + exited.exitValue()));
    }

    /** The running JVM, if started; tests use it to check that stopping leaves no process behind. */
    public Optional<ProcessHandle> processHandle() {
        return jvmProcess.processHandle();
    }

    public boolean isAlive() {
        return jvmProcess.isAlive();
    }

    Optional<Process> process() {
        return jvmProcess.process();
    }

    /**
     * Stops the node as an operator would: SIGTERM, so it finishes its writes in flight and hands its
     * partitions over; SIGKILL only if that takes longer than {@code grace}.
     *
     * @return true if the node stopped within the grace period
     */
    public boolean stop(Duration grace) throws InterruptedException {
        return jvmProcess.stop(grace);
    }

    /** SIGKILL: a crash, for fault tests and for nodes that do not stop in time. */
    public void kill() throws InterruptedException {
        jvmProcess.kill();
    }

    /**
     * SIGSTOP: a hung node. Its process and sockets stay, connections to its port are still accepted by
     * the kernel, it stays a member of the writers' group until its session times out, and it answers
     * nothing until {@link #resume()}.
     */
    public void suspend() throws IOException, InterruptedException {
        jvmProcess.suspend();
    }

    /** SIGCONT: the suspended node runs on from where it stopped, unaware of the time it lost. */
    public void resume() throws IOException, InterruptedException {
        jvmProcess.resume();
    }

    /** Whether the node's JVM is stopped by {@link #suspend()} right now. */
    public boolean isSuspended() throws IOException {
        return jvmProcess.isSuspended();
    }

    /** The last lines of the node's log (and of its console, when that is a file), to explain a failure. */
    public String logTail(int lines) {
        List<Path> files = new ArrayList<>();
        File consoleFile = console.target().file();
        if (consoleFile != null) {
            files.add(consoleFile.toPath());
        }
        files.add(logFile);
        return LogTail.of(lines, files);
    }

    @Override
    public String toString() {
        return "LogKV " + nodeId;
    }
}
