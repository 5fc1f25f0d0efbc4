package io.logkv.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One node of the local Kafka cluster, run as a child JVM so that it can be stopped, killed and restarted
 * like a real broker. Its files live in one directory: {@code server.properties}, the Kafka log in
 * {@code data/} and its own logs in {@code logs/}.
 */
public final class KafkaBrokerProcess {

    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";
    private static final String STORAGE_TOOL_WITH_SCRAM = KafkaStorageFormatMain.class.getName();

    private final int nodeId;
    private final Path directory;
    private final KafkaJvm jvm;
    private final Path log4jConfig;
    private final ChildJvm jvmProcess;

    KafkaBrokerProcess(int nodeId, Path directory, KafkaJvm jvm, Path log4jConfig) {
        this.nodeId = nodeId;
        this.directory = directory;
        this.jvm = jvm;
        this.log4jConfig = log4jConfig;
        this.jvmProcess = new ChildJvm("Kafka broker " + nodeId);
    }

    public int nodeId() {
        return nodeId;
    }

    /** The broker's own logs ({@code server.log}, {@code console.log}), for when something goes wrong. */
    public Path logDirectory() {
        return directory.resolve("logs");
    }

    Path dataDirectory() {
        return directory.resolve("data");
    }

    private Path serverProperties() {
        return directory.resolve("server.properties");
    }

    /** Formatting writes {@code meta.properties}; its presence means this node has been formatted before. */
    boolean isFormatted() {
        return Files.exists(dataDirectory().resolve("meta.properties"));
    }

    void writeConfig(KafkaPorts ports, Optional<ProxiedListener> proxied, Optional<SecureListener> secure) throws IOException {
        Files.createDirectories(logDirectory());
        Map<String, String> properties = KafkaServerProperties.forNode(nodeId, ports, dataDirectory(), proxied, secure);
        if (secure.isPresent()) {
            // It holds the keystore's password and the brokers' own SCRAM password.
            OwnerOnlyFile.write(serverProperties(), KafkaServerProperties.render(properties));
        } else {
            Files.writeString(serverProperties(), KafkaServerProperties.render(properties));
        }
    }

    /**
     * Runs {@code kafka-storage format} for this node; all nodes get the same cluster id and voter set.
     *
     * @param scramCredentials {@code --add-scram} values: SCRAM users written into the cluster's first metadata,
     *                         passed through the child's environment, not its command line
     */
    Process startFormat(KafkaClusterIdentity identity, List<String> scramCredentials) throws IOException {
        List<String> arguments = List.of(
                "format",
                "--config", serverProperties().toString(),
                "--cluster-id", identity.clusterId(),
                "--initial-controllers", identity.initialControllers());
        ProcessBuilder builder;
        if (scramCredentials.isEmpty()) {
            builder = jvm.process(STORAGE_TOOL, loggingProperties(), arguments);
        } else {
            builder = jvm.process(STORAGE_TOOL_WITH_SCRAM, loggingProperties(), arguments);
            builder.environment().put(KafkaStorageFormatMain.ADD_SCRAM_VARIABLE, String.join("\n", scramCredentials));
        }
        Path output = logDirectory().resolve("format.log");
        return builder.redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /**
     * Starts this broker's JVM; after {@link #stop} or {@link #kill}, starts it again on the same storage,
     * as fault tests do. Its storage must have been formatted, i.e. the cluster started once.
     */
    public void start() throws IOException {
        Map<String, String> properties = new LinkedHashMap<>(loggingProperties());
        properties.put(LauncherTether.EXIT_WITH_LAUNCHER_PROPERTY, "true");
        ProcessBuilder builder = jvm.process(KafkaBrokerMain.class.getName(), properties,
                List.of(serverProperties().toString()));
        // Only crashes reach the console: log4j2 writes everything else to logs/server.log. Stdin stays
        // a pipe from this JVM: its end tells the broker that the launcher is gone.
        builder.redirectErrorStream(true).redirectOutput(logDirectory().resolve("console.log").toFile());
        jvmProcess.start(builder);
    }

    private Map<String, String> loggingProperties() {
        return Map.of(
                "log4j2.configurationFile", log4jConfig.toString(),
                "kafka.logs.dir", logDirectory().toString());
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
     * Stops the broker as an operator would: SIGTERM, so Kafka hands over partition leadership and closes
     * its logs cleanly; SIGKILL only if that takes longer than {@code grace}.
     *
     * @return true if the broker stopped within the grace period
     */
    public boolean stop(Duration grace) throws InterruptedException {
        return jvmProcess.stop(grace);
    }

    /** SIGKILL: a crash, for fault tests and for brokers that do not stop in time. */
    public void kill() throws InterruptedException {
        jvmProcess.kill();
    }

    /**
     * SIGSTOP: a hung broker, alive to the operating system (its connections stay open) but silent, until
     * {@link #resume()}; the controllers fence it once its heartbeats stop.
     */
    public void suspend() throws IOException, InterruptedException {
        jvmProcess.suspend();
    }

    /** SIGCONT: the suspended broker runs on from where it stopped. */
    public void resume() throws IOException, InterruptedException {
        jvmProcess.resume();
    }

    /** Whether the broker's JVM is stopped by {@link #suspend()} right now. */
    public boolean isSuspended() throws IOException {
        return jvmProcess.isSuspended();
    }

    /** The last lines of this node's logs, stack frames left out, to explain a failed start. */
    String logTail(int lines) {
        return tail(lines, "console.log", "server.log");
    }

    /** The output of the last {@code kafka-storage format}, to explain a failed format. */
    String formatLogTail(int lines) {
        return tail(lines, "format.log");
    }

    private String tail(int lines, String... fileNames) {
        return LogTail.of(lines, Arrays.stream(fileNames).map(logDirectory()::resolve).toList());
    }

    @Override
    public String toString() {
        return "Kafka broker " + nodeId;
    }
}
