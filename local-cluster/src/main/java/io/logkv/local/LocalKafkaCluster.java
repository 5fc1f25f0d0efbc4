package io.logkv.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * A real three-node KRaft Kafka cluster on this machine, each node a combined broker and controller in
 * its own JVM. Its storage under {@code kafkaDir} is formatted on the first start only, so a restart
 * keeps the cluster id, the topics and their data. Its brokers take clients over plaintext, or, when
 * {@link #secured}, only over SASL_SSL ({@link SecureListener}).
 */
public final class LocalKafkaCluster implements AutoCloseable {

    /** Three nodes: the smallest cluster where RF 3 with two in-sync replicas survives losing one. */
    public static final int NODES = 3;

    /**
     * How long a broker gets for its controlled shutdown before it is killed. A whole-cluster stop takes
     * about 6 s, 5 of them the last controller waiting for a successor that will not come.
     */
    public static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final Path kafkaDir;
    private final KafkaPorts ports;
    private final Consumer<String> progress;
    private final Optional<ProxiedListener> proxied;
    private final Optional<SecureListener> secure;
    private final List<KafkaBrokerProcess> brokers;
    /** Exits are news only between a completed start and a stop; during startup the start itself fails. */
    private volatile boolean running;

    /**
     * @param kafkaDir where the cluster keeps its storage, configuration and logs
     * @param ports    the cluster's ports; they must match the ports of an existing cluster in {@code kafkaDir}
     * @param jvm      how to launch the child JVMs
     * @param progress receives one line per step, for the person waiting
     */
    public LocalKafkaCluster(Path kafkaDir, KafkaPorts ports, KafkaJvm jvm, Consumer<String> progress) {
        this(kafkaDir, ports, jvm, progress, Optional.empty());
    }

    /**
     * A cluster whose brokers also serve clients on a {@link ProxiedListener}, for fault tests that cut one
     * client (a LogKV node) off from the brokers through proxies.
     */
    public LocalKafkaCluster(Path kafkaDir, KafkaPorts ports, KafkaJvm jvm, Consumer<String> progress,
                             Optional<ProxiedListener> proxied) {
        this(kafkaDir, ports, jvm, progress, proxied, Optional.empty());
    }

    private LocalKafkaCluster(Path kafkaDir, KafkaPorts ports, KafkaJvm jvm, Consumer<String> progress,
                              Optional<ProxiedListener> proxied, Optional<SecureListener> secure) {
        if (ports.nodes() != NODES) {
            throw new IllegalArgumentException("a local cluster has " + NODES + " nodes, not " + ports.nodes());
        }
        this.kafkaDir = kafkaDir.toAbsolutePath();
        this.ports = ports;
        this.progress = progress;
        this.proxied = proxied;
        this.secure = secure;
        proxied.ifPresent(listener -> {
            if (listener.brokerPorts().size() != NODES) {
                throw new IllegalArgumentException("a proxied listener needs one port per broker, " + NODES + ", not "
                        + listener.brokerPorts().size());
            }
        });
        Path log4jConfig = this.kafkaDir.resolve("log4j2.xml");
        this.brokers = IntStream.rangeClosed(1, NODES)
                .mapToObj(node -> new KafkaBrokerProcess(node, this.kafkaDir.resolve("broker-" + node), jvm, log4jConfig))
                .toList();
    }

    /**
     * A cluster whose brokers take clients, and each other, only over SASL_SSL with SCRAM-SHA-512 (a
     * {@link SecureListener}): its certificate and passwords are made here at the first start, and found again in
     * {@code kafkaDir} at every later one. Its clients need {@link #clientSettings()}.
     */
    public static LocalKafkaCluster secured(Path kafkaDir, KafkaPorts ports, KafkaJvm jvm, Consumer<String> progress)
            throws IOException, InterruptedException {
        SecureListener listener = SecureListener.prepare(kafkaDir, jvm.keytool(), progress);
        return new LocalKafkaCluster(kafkaDir, ports, jvm, progress, Optional.empty(), Optional.of(listener));
    }

    /** The ports of the cluster already formatted in {@code kafkaDir}, if there is one. */
    public static Optional<KafkaPorts> existingPorts(Path kafkaDir) throws IOException {
        return KafkaClusterIdentity.load(kafkaDir).map(KafkaClusterIdentity::ports);
    }

    /**
     * Formats the storage if this is the first start, starts the three JVMs and waits until every broker
     * is registered and unfenced. On failure the JVMs that did start are stopped again.
     */
    public void start(Duration timeout) throws IOException, InterruptedException {
        if (brokers.stream().anyMatch(KafkaBrokerProcess::isAlive)) {
            throw new IllegalStateException("the local Kafka cluster in " + kafkaDir + " is already running");
        }
        long started = System.nanoTime();
        try {
            KafkaClusterIdentity identity = identity();
            Files.createDirectories(kafkaDir);
            try (InputStream config = LocalKafkaCluster.class.getResourceAsStream("kafka-log4j2.xml")) {
                Files.copy(config, kafkaDir.resolve("log4j2.xml"), StandardCopyOption.REPLACE_EXISTING);
            }
            for (KafkaBrokerProcess broker : brokers) {
                broker.writeConfig(ports, proxied, secure);
            }
            formatUnformattedStorage(identity);
            for (KafkaBrokerProcess broker : brokers) {
                progress.accept("starting Kafka broker " + broker.nodeId() + "/" + NODES + " on "
                        + KafkaPorts.HOST + ":" + ports.brokerPort(broker.nodeId())
                        + secure.map(listener -> " (" + SecureListener.SECURITY_PROTOCOL + ")").orElse("") + " ...");
                broker.start();
                broker.process().orElseThrow().onExit().thenAccept(exited -> reportUnexpectedExit(broker, exited));
            }
            new KafkaReadiness(ports.bootstrapServers(), clientSettings(), brokers).await(NODES, timeout);
            running = true;
        } catch (IOException | InterruptedException | RuntimeException e) {
            stop();
            throw e;
        }
        progress.accept(String.format(Locale.ROOT, "Kafka ready in %.1f s: %s",
                (System.nanoTime() - started) / 1e9, bootstrapServers()));
    }

    /** The cluster's ports. */
    public KafkaPorts ports() {
        return ports;
    }

    /** The {@code bootstrap.servers} of the running cluster. */
    public String bootstrapServers() {
        return ports.bootstrapServers();
    }

    /**
     * The Kafka client settings every client of this cluster needs besides {@link #bootstrapServers()}, by their
     * Kafka names: those of the nodes' SCRAM user on a {@link #secured secure} cluster, none on a plain one.
     */
    public Map<String, String> clientSettings() {
        return secure.map(SecureListener::clientSettings).orElse(Map.of());
    }

    /** How a LogKV node process reaches this cluster (its secrets through the environment). */
    public NodeKafkaAccess nodeAccess() {
        return NodeKafkaAccess.of(bootstrapServers(), clientSettings());
    }

    /** The secure listener, on a {@link #secured secure} cluster. */
    Optional<SecureListener> secureListener() {
        return secure;
    }

    /** The nodes, in node-id order; fault tests stop or kill single ones. */
    public List<KafkaBrokerProcess> brokers() {
        return brokers;
    }

    /**
     * Stops all brokers at once with SIGTERM (a controlled shutdown each), waits, and kills any that
     * outlast {@link #STOP_GRACE}. Safe to call more than once.
     */
    public void stop() throws InterruptedException {
        running = false;
        List<Thread> stoppers = new ArrayList<>();
        for (KafkaBrokerProcess broker : brokers) {
            // In parallel: one after the other, the last nodes would wait for a controller quorum that is gone.
            Thread stopper = new Thread(() -> stopOne(broker), "stop-kafka-broker-" + broker.nodeId());
            stopper.start();
            stoppers.add(stopper);
        }
        for (Thread stopper : stoppers) {
            stopper.join();
        }
    }

    private void stopOne(KafkaBrokerProcess broker) {
        try {
            if (!broker.stop(STOP_GRACE)) {
                progress.accept(broker + " did not stop within " + STOP_GRACE.toSeconds() + " s; killed it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private KafkaClusterIdentity identity() throws IOException {
        Optional<KafkaClusterIdentity> existing = KafkaClusterIdentity.load(kafkaDir);
        if (existing.isEmpty()) {
            if (brokers.stream().anyMatch(KafkaBrokerProcess::isFormatted)) {
                throw new IllegalStateException(kafkaDir + " holds Kafka storage but no "
                        + KafkaClusterIdentity.FILE_NAME + "; delete " + kafkaDir + " to start a new cluster");
            }
            KafkaClusterIdentity created = KafkaClusterIdentity.create(ports);
            created.save(kafkaDir);
            return created;
        }
        KafkaClusterIdentity identity = existing.get();
        if (!identity.ports().controllerPorts().equals(ports.controllerPorts())) {
            throw new IllegalStateException("the Kafka cluster in " + kafkaDir + " was formatted with controller ports "
                    + identity.ports().controllerPorts() + ", not " + ports.controllerPorts()
                    + "; start it on its own ports or use another data directory");
        }
        if (!identity.ports().equals(ports)) {
            identity = identity.withPorts(ports);
            identity.save(kafkaDir);
        }
        return identity;
    }

    private void formatUnformattedStorage(KafkaClusterIdentity identity) throws IOException, InterruptedException {
        List<KafkaBrokerProcess> unformatted = brokers.stream().filter(broker -> !broker.isFormatted()).toList();
        if (unformatted.isEmpty()) {
            return;
        }
        progress.accept("formatting Kafka storage in " + kafkaDir + " (first start only) ...");
        List<Process> formats = new ArrayList<>();
        for (KafkaBrokerProcess broker : unformatted) {
            formats.add(broker.startFormat(identity, secure.map(SecureListener::scramCredentials).orElse(List.of())));
        }
        for (int i = 0; i < formats.size(); i++) {
            if (formats.get(i).waitFor() != 0) {
                KafkaBrokerProcess broker = unformatted.get(i);
                throw new KafkaStartException("formatting the storage of " + broker + " failed", broker.formatLogTail(20));
            }
        }
    }

    private void reportUnexpectedExit(KafkaBrokerProcess broker, Process exited) {
        if (running) {
            progress.accept("WARNING: " + broker + " exited unexpectedly (exit code " + exited.exitValue()
                    + "); its logs are in " + broker.logDirectory());
        }
    }
}
