package io.logkv.local;

import io.logkv.testkit.faults.NetworkLink;
import io.logkv.testkit.faults.TcpProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Utils;

/**
 * The fault tests' fixture: three Kafka brokers and LogKV nodes, each an OS process, on free ports under
 * one directory. Optionally the brokers also serve a {@link ProxiedListener} behind a {@link NetworkLink},
 * so that a node started {@link #startNode(String, boolean, List) through the link} can be cut off from
 * every broker while the other nodes keep their direct path. A node may also be started behind a
 * {@link #peerProxy(LogKvNodeProcess) peer proxy}: it advertises the proxy's address, so that the other nodes
 * (forwarded writes and reads, digests) reach it only through the proxy, while clients reach it directly.
 */
final class ProcessCluster implements AutoCloseable {

    static final String TRUTH_TOPIC = "logkv.truth." + LogKvHttp.NAMESPACE;
    static final int PARTITIONS = 6;
    private static final Duration KAFKA_START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(120);

    private final Path dir;
    private final LocalKafkaCluster kafka;
    private final NetworkLink brokerLink;
    private final List<LogKvNodeProcess> nodes = new ArrayList<>();
    private final Map<LogKvNodeProcess, TcpProxy> peerProxies = new LinkedHashMap<>();

    private ProcessCluster(Path dir, LocalKafkaCluster kafka, NetworkLink brokerLink) {
        this.dir = dir;
        this.kafka = kafka;
        this.brokerLink = brokerLink;
    }

    /**
     * Starts the brokers.
     *
     * @param proxied whether the brokers also get a proxied listener behind {@link #brokerLink()}
     */
    static ProcessCluster start(Path dir, boolean proxied) throws IOException, InterruptedException {
        NetworkLink link = null;
        Optional<ProxiedListener> listener = Optional.empty();
        if (proxied) {
            List<Integer> brokerPorts = freePorts(LocalKafkaCluster.NODES);
            link = NetworkLink.to("kafka", brokerPorts.stream().map(port -> new InetSocketAddress(KafkaPorts.HOST, port)).toList());
            listener = Optional.of(new ProxiedListener(brokerPorts, link.ports()));
        }
        LocalKafkaCluster kafka = new LocalKafkaCluster(dir.resolve("kafka"), KafkaPorts.ephemeral(LocalKafkaCluster.NODES),
                KafkaJvm.fromBuild(), ProcessCluster::log, listener);
        ProcessCluster cluster = new ProcessCluster(dir, kafka, link);
        try {
            kafka.start(KAFKA_START_TIMEOUT);
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    LocalKafkaCluster kafka() {
        return kafka;
    }

    /** The proxies between the proxied node and the brokers. */
    NetworkLink brokerLink() {
        if (brokerLink == null) {
            throw new IllegalStateException("this cluster was started without a proxied listener");
        }
        return brokerLink;
    }

    List<LogKvNodeProcess> nodes() {
        return nodes;
    }

    /**
     * Starts a node and waits until it is ready.
     *
     * @param throughLink     whether it reaches the brokers through {@link #brokerLink()}
     * @param springArguments further properties for the node
     */
    LogKvNodeProcess startNode(String nodeId, boolean throughLink, List<String> springArguments) throws IOException, InterruptedException {
        return startNode(nodeId, throughLink, false, springArguments);
    }

    /**
     * Starts a node and waits until it is ready.
     *
     * @param throughLink     whether it reaches the brokers through {@link #brokerLink()}
     * @param behindPeerProxy whether its peers reach it only through a {@link #peerProxy(LogKvNodeProcess) proxy}
     * @param springArguments further properties for the node
     */
    LogKvNodeProcess startNode(String nodeId, boolean throughLink, boolean behindPeerProxy, List<String> springArguments)
            throws IOException, InterruptedException {
        String bootstrap = throughLink ? brokerLink().hostPorts() : kafka.bootstrapServers();
        int port = freePorts(1).get(0);
        List<String> arguments = new ArrayList<>(springArguments);
        TcpProxy proxy = null;
        if (behindPeerProxy) {
            proxy = TcpProxy.start("peers-to-" + nodeId, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            // The URL the node gives the writers' group and the replica placement: every peer forwards through it.
            arguments.add("--logkv.advertised-url=http://" + proxy.hostPort());
        }
        LogKvNodeProcess node = new LogKvNodeProcess(nodeId, port, bootstrap, dir.resolve(nodeId),
                dir.resolve("logs").resolve(nodeId + ".log"),
                LogKvNodeProcess.Console.warningsTo(dir.resolve("logs").resolve(nodeId + "-console.log")), open(arguments));
        nodes.add(node);
        if (proxy != null) {
            peerProxies.put(node, proxy);
        }
        startAndAwaitReady(node);
        return node;
    }

    /** The proxy every other node reaches {@code node} through (started {@code behindPeerProxy}). */
    TcpProxy peerProxy(LogKvNodeProcess node) {
        TcpProxy proxy = peerProxies.get(node);
        if (proxy == null) {
            throw new IllegalStateException(node + " was started without a peer proxy");
        }
        return proxy;
    }

    /** The peer proxies of every node started behind one. */
    List<TcpProxy> peerProxies() {
        return List.copyOf(peerProxies.values());
    }

    /** The arguments with the node run open (as bin/logkv local runs it), unless they configure security. */
    static List<String> open(List<String> springArguments) {
        if (springArguments.stream().anyMatch(argument -> argument.startsWith("--logkv.security."))) {
            return springArguments;
        }
        List<String> all = new ArrayList<>(List.of(LocalCommand.OPEN));
        all.addAll(springArguments);
        return all;
    }

    /** Starts a node that was killed (on whatever its data directory now holds) and waits until it is ready; returns the time taken. */
    static Duration startAndAwaitReady(LogKvNodeProcess node) throws IOException, InterruptedException {
        long started = System.nanoTime();
        node.start();
        Optional<String> notReady = node.awaitReady(NODE_READY_TIMEOUT);
        if (notReady.isPresent()) {
            throw new AssertionError(node + " not ready: " + notReady.get() + "\n" + node.logTail(40));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        log(node + " ready in " + took.toMillis() + " ms, pid " + node.processHandle().orElseThrow().pid());
        return took;
    }

    /**
     * Waits until {@code via} reports an owner for every partition and the owners pass {@code accept}.
     *
     * @return the owner URL by partition
     */
    static Map<Integer, String> awaitOwners(LogKvHttp http, LogKvNodeProcess via, Predicate<Map<Integer, String>> accept,
                                            Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Integer, String> last = Map.of();
        while (System.nanoTime() < deadline) {
            Optional<Map<Integer, String>> owners = http.owners(via.url());
            if (owners.isPresent()) {
                last = owners.get();
                if (last.size() == PARTITIONS && accept.test(last)) {
                    return last;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the owners of " + LogKvHttp.NAMESPACE + " as " + via + " sees them did not settle within "
                + timeout.toSeconds() + " s; last: " + last);
    }

    /** Every partition owned, by both of two nodes. */
    static Predicate<Map<Integer, String>> ownedByBoth(LogKvNodeProcess one, LogKvNodeProcess other) {
        return owners -> Set.copyOf(owners.values()).equals(Set.of(one.url(), other.url()));
    }

    /** Every partition owned by {@code node}. */
    static Predicate<Map<Integer, String>> ownedBy(LogKvNodeProcess node) {
        return owners -> Set.copyOf(owners.values()).equals(Set.of(node.url()));
    }

    /** The partition of {@code key}, as the writer and Kafka's default partitioner compute it. */
    static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    /** The last lines of every node's log, for a failed test's output. */
    void printNodeLogs() {
        for (LogKvNodeProcess node : nodes) {
            System.out.println(node + "'s log, last lines:\n" + node.logTail(40));
        }
    }

    /**
     * Kills every node (a suspended one too: SIGKILL ends a stopped process), stops the brokers, and keeps
     * the nodes' logs in {@code target/fault-logs/<directory name>}, since the test's directory is deleted.
     */
    @Override
    public void close() throws InterruptedException {
        for (LogKvNodeProcess node : nodes) {
            node.kill();
        }
        kafka.stop();
        if (brokerLink != null) {
            brokerLink.close();
        }
        peerProxies.values().forEach(TcpProxy::close);
        keepLogs();
    }

    private void keepLogs() {
        Path logs = dir.resolve("logs");
        Path kept = Path.of("target", "fault-logs", dir.getFileName().toString());
        try (Stream<Path> files = Files.exists(logs) ? Files.list(logs) : Stream.empty()) {
            Files.createDirectories(kept);
            for (Path file : files.toList()) {
                Files.copy(file, kept.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            log("node logs kept in " + kept.toAbsolutePath());
        } catch (IOException e) {
            log("could not keep the node logs: " + e);
        }
    }

    /** Ports the operating system reports free right now, held together so that no two are the same. */
    static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                held.add(new ServerSocket(0));
            }
            return held.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
    }

    static long millisSince(long startNanos) {
        return millisBetween(startNanos, System.nanoTime());
    }

    static long millisBetween(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }

    /** A file that also gets every progress line while set (surefire shows a test's output only when it ends). */
    static volatile Path progressCopy;

    /** Progress with timestamps, into the test's output file: where the time goes when a test is slow. */
    static void log(String line) {
        String stamped = Instant.now() + " " + line;
        System.out.println(stamped);
        Path copy = progressCopy;
        if (copy != null) {
            try {
                Files.writeString(copy, stamped + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                System.out.println("could not copy progress to " + copy + ": " + e);
            }
        }
    }
}
