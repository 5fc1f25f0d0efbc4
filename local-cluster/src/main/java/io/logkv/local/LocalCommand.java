package io.logkv.local;

import io.logkv.core.RegionName;
import io.logkv.mirror.Mirror;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/logkv local}: a real three-broker Kafka cluster and one or more LogKV nodes, each in its own
 * child JVM (so that one can be killed, and nodes do not share a heap). Ctrl-C (or SIGTERM) stops the
 * nodes first, so they can finish their writes, and then the brokers; if this JVM is killed, its children
 * stop by themselves (see {@link LauncherTether}). This class holds the options and the order of the start;
 * {@link LocalPorts} chooses the ports, {@link LocalNodes} starts the nodes, {@link LocalRun} stops it all.
 */
@Command(name = "local",
        description = {
            "Runs LogKV on this machine: a real 3-broker KRaft Kafka cluster and --nodes LogKV nodes, one process (JVM) each.",
            "Kill a node's process (its pid is printed when it is ready) and the others take over its partitions.",
            "Data stays in --data-dir for the next start; Ctrl-C stops everything."},
        footer = {"", "Arguments after -- go to every LogKV node as Spring properties:", "  bin/logkv local -- --logging.level.io.logkv=DEBUG"})
final class LocalCommand implements Callable<Integer> {

    static final int DEFAULT_KAFKA_PORT = 19092;
    /**
     * A machine's own cluster runs open (anyone who reaches it may do anything), unless arguments after {@code --}
     * configure security; the nodes and this command say so at start.
     */
    static final String OPEN = "--logkv.security.mode=open";
    private static final Duration KAFKA_START_TIMEOUT = Duration.ofSeconds(90);
    private static final int MAX_NODES = 9;
    static final String REGION_A = "a";
    static final String REGION_B = "b";
    /** Region b's nodes listen on --port + 10, + 11, ...; its brokers on region a's Kafka ports + 100. */
    private static final int REGION_B_PORT_OFFSET = 10;
    static final int REGION_B_KAFKA_OFFSET = 100;
    /**
     * A secure run keeps everything under its own directory: its brokers' storage, and the nodes' replicas and
     * snapshots, whose log positions belong to its cluster, not to a plain run's.
     */
    static final String SECURE_DIRECTORY = "secure";

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT",
            description = "HTTP port of the first LogKV node (default: ${DEFAULT-VALUE}).")
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

    @Option(names = "--regions", defaultValue = "1", paramLabel = "N",
            description = "Regions to run: 1, or 2 for regions a and b, each a 3-broker Kafka cluster with --nodes nodes (region b's on"
                    + " ports from --port + 10, its brokers on the Kafka ports + 100), and a mirror that copies every namespace"
                    + " of region a into region b (default: ${DEFAULT-VALUE}).")
    int regions;

    @Option(names = "--secure",
            description = {"Brokers that take clients only over SASL_SSL with SCRAM-SHA-512 (a self-signed certificate for localhost,"
                    + " generated passwords); the nodes get the client settings. Runs in DIR/" + SECURE_DIRECTORY + ", apart from a"
                    + " plain run's data. One region only."})
    boolean secure;

    @Option(names = {"-v", "--verbose"}, description = "Show the LogKV nodes' whole logs on the console, not only their warnings.")
    boolean verbose;

    @Parameters(paramLabel = "SPRING_ARG", arity = "0..*", description = "Further arguments for every LogKV node (after --).")
    List<String> nodeArguments = new ArrayList<>();

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;
    private final LocalRun run = new LocalRun(out, err);

    @Override
    public Integer call() throws InterruptedException {
        String usageError = usageError();
        if (usageError != null) {
            err.println(usageError);
            return 2;
        }
        Path data = runDirectory(dataDir.toAbsolutePath().normalize(), secure);
        LocalKafkaCluster cluster;
        try {
            KafkaPorts ports = LocalPorts.kafkaPorts(data.resolve("kafka"), kafkaPort);
            String busy = LocalPorts.busyPortMessage(ports, port, nodes);
            if (busy != null) {
                err.println(busy);
                return 1;
            }
            cluster = newCluster(data.resolve("kafka"), ports, secure, out::println);
            run.setCluster(cluster);
        } catch (IOException | IllegalStateException e) {
            err.println("cannot start: " + e.getMessage());
            return 1;
        }
        // Registered before anything starts, so that a Ctrl-C during startup also stops what did start.
        Runtime.getRuntime().addShutdownHook(new Thread(run::stop, "logkv-local-stop"));
        try {
            cluster.start(KAFKA_START_TIMEOUT);
        } catch (KafkaStartException e) {
            return run.failure("Kafka failed to start: " + e.getMessage() + "\n" + e.logTail());
        } catch (IOException | IllegalStateException e) {
            return run.failure("Kafka failed to start: " + e.getMessage());
        }
        LocalNodes localNodes = new LocalNodes(run, out, err, nodeArguments, LogKvNodeProcess.Console.terminal(verbose), nodes);
        List<String> regionA = regions == 1 ? List.of() : List.of("--logkv.region.name=" + REGION_A,
                "--logkv.region.urls." + REGION_B + "=http://localhost:" + (port + REGION_B_PORT_OFFSET));
        for (int i = 1; i <= nodes; i++) {
            if (!localNodes.start(data, "node-" + i, port + i - 1, cluster.nodeAccess(), regionA)) {
                return 1;
            }
        }
        if (regions == 2 && !startRegionB(data, localNodes)) {
            return 1;
        }
        if (withLocalDefaults(data, nodeArguments).contains(OPEN)) {
            err.println("NOTE: LogKV runs open here: any client that reaches these ports may read, write and administer every"
                    + " namespace. Configure logkv.security.* after -- to require credentials (docs/configuration.md).");
        }
        printWelcome(data);
        // Everything runs on other threads now; this one only keeps the command alive until a signal.
        new CountDownLatch(1).await();
        return 0;
    }

    /**
     * Region b: its own Kafka cluster, nodes that name their region b (and region a's URL for the writes they
     * refuse) and create no namespace of their own, and the mirror from region a, which registers every
     * namespace of region a in region b as a copy.
     */
    private boolean startRegionB(Path data, LocalNodes localNodes) throws InterruptedException {
        Path regionData = data.resolve("region-" + REGION_B);
        LocalKafkaCluster cluster = run.cluster();
        LocalKafkaCluster clusterB;
        try {
            KafkaPorts ports = LocalKafkaCluster.existingPorts(regionData.resolve("kafka")).orElseGet(() ->
                    KafkaPorts.consecutive(cluster.ports().brokerPort(1) + REGION_B_KAFKA_OFFSET, LocalKafkaCluster.NODES));
            String busy = LocalPorts.busyPortMessage(ports, port + REGION_B_PORT_OFFSET, nodes);
            if (busy != null) {
                return run.failure(busy) == 0;
            }
            out.println("region " + REGION_B + ":");
            clusterB = new LocalKafkaCluster(regionData.resolve("kafka"), ports, KafkaJvm.fromBuild(), out::println);
            run.setClusterB(clusterB);
            clusterB.start(KAFKA_START_TIMEOUT);
        } catch (KafkaStartException e) {
            return run.failure("region " + REGION_B + "'s Kafka failed to start: " + e.getMessage() + "\n" + e.logTail()) == 0;
        } catch (IOException | IllegalStateException e) {
            return run.failure("region " + REGION_B + "'s Kafka failed to start: " + e.getMessage()) == 0;
        }
        List<String> regionB = List.of("--logkv.region.name=" + REGION_B, "--logkv.region.urls." + REGION_A + "=" + run.nodes().get(0).url(),
                "--logkv.namespaces.bootstrap=");
        for (int i = 1; i <= nodes; i++) {
            if (!localNodes.start(regionData, REGION_B + "-node-" + i, port + REGION_B_PORT_OFFSET + i - 1, clusterB.nodeAccess(), regionB)) {
                return false;
            }
        }
        // A mirror each way: each carries the namespaces whose home is its source region, so the one from b has
        // nothing to do until a namespace is promoted to b (bin/logkv promote), and then carries it back to a.
        for (String[] direction : new String[][] {{REGION_A, REGION_B}, {REGION_B, REGION_A}}) {
            boolean fromA = direction[0].equals(REGION_A);
            Mirror mirror = new Mirror(MirrorSettings.of(new RegionName(direction[0]), new RegionName(direction[1]),
                    fromA ? cluster.bootstrapServers() : clusterB.bootstrapServers(), fromA ? clusterB.bootstrapServers() : cluster.bootstrapServers(),
                    NamespaceSelection.matching(".*")).withRescan(Duration.ofSeconds(5)), new SimpleMeterRegistry());
            run.addMirror(mirror);
            mirror.start();
        }
        out.println("mirrors " + REGION_A + " -> " + REGION_B + " and " + REGION_B + " -> " + REGION_A
                + " started (each namespace from its home region into the other)");
        return true;
    }

    /** Where a run keeps its data: {@code dataDir} itself, or its {@value #SECURE_DIRECTORY} directory for a secure run. */
    static Path runDirectory(Path dataDir, boolean secure) {
        return secure ? dataDir.resolve(SECURE_DIRECTORY) : dataDir;
    }

    /** The brokers of a run: plain, or taking clients only over SASL_SSL (the nodes get the settings from {@link LocalKafkaCluster#nodeAccess()}). */
    static LocalKafkaCluster newCluster(Path kafkaDir, KafkaPorts ports, boolean secure, Consumer<String> progress)
            throws IOException, InterruptedException {
        KafkaJvm jvm = KafkaJvm.fromBuild();
        return secure ? LocalKafkaCluster.secured(kafkaDir, ports, jvm, progress) : new LocalKafkaCluster(kafkaDir, ports, jvm, progress);
    }

    private String usageError() {
        if (nodes < 1 || nodes > MAX_NODES) {
            return "--nodes must be between 1 and " + MAX_NODES;
        }
        if (regions < 1 || regions > 2) {
            return "--regions must be 1 or 2";
        }
        if (secure && regions == 2) {
            // The mirror between the regions would need the client settings of both clusters; not worth it locally.
            return "--secure runs one region; --regions 2 is not available with --secure";
        }
        if (port < 1 || port + nodes - 1 > 65535) {
            return "--port " + port + " is not a TCP port";
        }
        if (kafkaPort != null && (kafkaPort < 1 || kafkaPort > 65535 - 2 * LocalKafkaCluster.NODES)) {
            return "--kafka-port " + kafkaPort + " leaves no room for six consecutive TCP ports";
        }
        return null;
    }

    /**
     * The nodes of one machine share a snapshot directory under the data directory, so that a replica on one
     * node can be seeded from another's snapshot; arguments given after {@code --} that set snapshot
     * properties replace this.
     */
    static List<String> withLocalDefaults(Path data, List<String> arguments) {
        List<String> all = new ArrayList<>();
        if (arguments.stream().noneMatch(argument -> argument.startsWith("--logkv.snapshots."))) {
            all.addAll(List.of("--logkv.snapshots.store=directory", "--logkv.snapshots.directory=" + data.resolve("snapshots")));
        }
        if (arguments.stream().noneMatch(argument -> argument.startsWith("--logkv.security."))) {
            all.add(OPEN);
        }
        all.addAll(arguments);
        return all;
    }

    /** Where a Kafka client finds what it needs to use the secure listener. */
    private void printSecureListener(SecureListener listener, String bootstrapServers) {
        out.println("          listener " + SecureListener.NAME + ": " + SecureListener.SECURITY_PROTOCOL + " with "
                + SecureListener.MECHANISM + ", user " + LocalKafkaCredentials.NODE_USER + " (the controllers' listener: plaintext,"
                + " localhost only)");
        out.println("          truststore " + listener.truststore() + " (PKCS12, a self-signed certificate for localhost)");
        out.println("          passwords  " + listener.credentialsFile() + " (owner only)");
        out.println("          client settings " + listener.clientPropertiesFile() + " (owner only), e.g.");
        out.println("            kafka-topics.sh --bootstrap-server " + bootstrapServers.split(",")[0] + " --command-config "
                + listener.clientPropertiesFile() + " --list");
    }

    private void printWelcome(Path data) {
        List<LogKvNodeProcess> started = run.nodes();
        LocalKafkaCluster cluster = run.cluster();
        LocalKafkaCluster clusterB = run.clusterB();
        String url = started.get(0).url();
        out.println();
        for (LogKvNodeProcess node : started) {
            out.println("LogKV listening on " + node.url());
        }
        out.println("  Kafka:  " + cluster.bootstrapServers() + (clusterB == null ? "" : " (region " + REGION_A + "), "
                + clusterB.bootstrapServers() + " (region " + REGION_B + ")"));
        cluster.secureListener().ifPresent(listener -> printSecureListener(listener, cluster.bootstrapServers()));
        out.println("  data:   " + data);
        out.println("  logs:   " + data.resolve("logs") + "/node-N.log, " + data.resolve("kafka") + "/broker-N/logs/");
        out.println();
        out.println("Try it:");
        out.println("  curl -X PUT -H 'Content-Type: text/plain' --data-binary 'hello' " + url + "/v1/namespaces/default/keys/greeting");
        out.println("  curl " + url + "/v1/namespaces/default/keys/greeting");
        if (clusterB != null) {
            String urlB = started.get(nodes).url();
            out.println("Region " + REGION_B + " serves a copy of region " + REGION_A + "'s namespaces (reads only); send the PUT's KV-Token"
                    + " to read your write there:");
            out.println("  curl -H 'KV-Token: <token of the PUT>' '" + urlB + "/v1/namespaces/default/keys/greeting?wait_ms=5000'");
        }
        out.println();
        out.println("Press Ctrl-C to stop.");
    }
}
