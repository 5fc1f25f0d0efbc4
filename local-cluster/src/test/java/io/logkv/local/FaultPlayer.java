package io.logkv.local;

import io.logkv.testkit.faults.TcpProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plays a {@link FaultSchedule} on a {@link ProcessCluster}, one fault after the other, each healed before
 * the next starts, and records what it really did and when (a restart takes as long as the node needs to be
 * ready, so the real times drift from the plan). The nodes it has killed are in {@link #downNodes()} while
 * they are down, for the workload's clients to avoid (a client cannot know of a hung or cut node).
 */
final class FaultPlayer {

    private static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration BROKERS_READY_TIMEOUT = Duration.ofSeconds(90);

    private final ProcessCluster cluster;
    private final Set<String> downNodes = ConcurrentHashMap.newKeySet();
    private final Set<Integer> brokersDown = ConcurrentHashMap.newKeySet();
    private final List<String> exitedOnTheirOwn = new ArrayList<>();
    private final List<String> played = new ArrayList<>();
    private final Map<FaultSchedule.Kind, Integer> counts = new EnumMap<>(FaultSchedule.Kind.class);
    private long originNanos;

    FaultPlayer(ProcessCluster cluster) {
        this.cluster = cluster;
    }

    /** URLs of the nodes killed and not yet ready again. */
    Set<String> downNodes() {
        return downNodes;
    }

    /**
     * Plays every fault of {@code schedule} in order, and returns when the last one is healed. A fault that
     * took longer than planned (a restart lasts until the node is ready) pushes the later ones back by as
     * much, so that a seed plays the same faults with the same gaps on a slow machine; only a fault that would
     * start more than {@code bound} after {@code originNanos} (the load's start) is left out.
     */
    void play(FaultSchedule schedule, long originNanos, Duration bound) throws IOException, InterruptedException {
        this.originNanos = originNanos;
        long lagNanos = 0;
        for (FaultSchedule.Fault fault : schedule.faults()) {
            long startNanos = originNanos + fault.atMs() * 1_000_000 + lagNanos;
            if (startNanos - originNanos > bound.toNanos()) {
                record("not played, it would start past the fault phase's bound of " + bound.toSeconds() + " s: " + fault.describe());
                continue;
            }
            long waitMs = (startNanos - System.nanoTime()) / 1_000_000;
            if (waitMs > 0) {
                Thread.sleep(waitMs);
            }
            long began = System.nanoTime();
            play(fault);
            synchronized (this) {
                counts.merge(fault.kind(), 1, Integer::sum);
            }
            lagNanos += Math.max(0, System.nanoTime() - began - fault.durationMs() * 1_000_000);
        }
    }

    private void play(FaultSchedule.Fault fault) throws IOException, InterruptedException {
        switch (fault.kind()) {
            case NODE_KILL, NODE_KILL_WIPE -> {
                LogKvNodeProcess node = cluster.nodes().get(fault.target());
                boolean wipe = fault.kind() == FaultSchedule.Kind.NODE_KILL_WIPE;
                downNodes.add(node.url());
                record("SIGKILL " + node);
                node.kill();
                Thread.sleep(fault.durationMs());
                if (wipe) {
                    node.wipeData();
                }
                record("start " + node + (wipe ? " with its data wiped" : " on its data"));
                Duration ready = ProcessCluster.startAndAwaitReady(node);
                downNodes.remove(node.url());
                record(node + " ready after " + ready.toMillis() + " ms");
            }
            case NODE_PAUSE -> {
                LogKvNodeProcess node = cluster.nodes().get(fault.target());
                record("SIGSTOP " + node);
                node.suspend();
                Thread.sleep(fault.durationMs());
                record("SIGCONT " + node);
                node.resume();
            }
            case BROKER_KILL -> {
                KafkaBrokerProcess broker = cluster.kafka().brokers().get(fault.target());
                record("SIGKILL " + broker);
                brokersDown.add(broker.nodeId());
                broker.kill();
                Thread.sleep(fault.durationMs());
                record("start " + broker);
                broker.start();
                new KafkaReadiness(cluster.bootstrapServers(), cluster.kafka().clientSettings(), cluster.kafka().brokers()).await(LocalKafkaCluster.NODES, BROKERS_READY_TIMEOUT);
                brokersDown.remove(broker.nodeId());
                record("3 brokers registered again");
            }
            case BROKER_PAUSE -> {
                KafkaBrokerProcess broker = cluster.kafka().brokers().get(fault.target());
                record("SIGSTOP " + broker);
                broker.suspend();
                Thread.sleep(fault.durationMs());
                record("SIGCONT " + broker);
                broker.resume();
                new KafkaReadiness(cluster.bootstrapServers(), cluster.kafka().clientSettings(), cluster.kafka().brokers()).await(LocalKafkaCluster.NODES, BROKERS_READY_TIMEOUT);
                record("3 brokers registered");
            }
            case NODE_CUT -> {
                record("blackhole between " + cluster.nodes().get(0) + " and every broker");
                cluster.brokerLink().blackhole();
                Thread.sleep(fault.durationMs());
                cluster.brokerLink().heal();
                record("link healed, " + cluster.brokerLink().swallowedBytes() + " bytes swallowed in all");
            }
            case PEER_CUT -> {
                LogKvNodeProcess node = cluster.nodes().get(fault.target());
                TcpProxy proxy = cluster.peerProxy(node);
                record("blackhole the peers' way to " + node);
                proxy.blackhole();
                Thread.sleep(fault.durationMs());
                proxy.heal();
                record("peers' way to " + node + " healed, " + proxy.swallowedBytes() + " bytes swallowed in all");
            }
            case PEERS_PARTITIONED -> {
                record("blackhole every node's peer proxy");
                cluster.peerProxies().forEach(TcpProxy::blackhole);
                Thread.sleep(fault.durationMs());
                cluster.peerProxies().forEach(TcpProxy::heal);
                record("peer proxies healed, " + cluster.peerProxies().stream().mapToLong(TcpProxy::swallowedBytes).sum()
                        + " bytes swallowed in all");
            }
        }
    }

    /**
     * Undoes whatever fault is still on after a failure: heals the links, resumes stopped brokers and nodes,
     * restarts dead brokers and nodes, and waits until all are ready.
     */
    void healAll() throws IOException, InterruptedException {
        for (LogKvNodeProcess node : cluster.nodes()) {
            if (!node.isAlive() && !downNodes.contains(node.url())) {
                exitedOnTheirOwn.add(node + " exited on its own (exit code "
                        + node.process().map(p -> String.valueOf(p.exitValue())).orElse("none") + ")");
            }
        }
        for (KafkaBrokerProcess broker : cluster.kafka().brokers()) {
            if (!broker.isAlive() && !brokersDown.contains(broker.nodeId())) {
                exitedOnTheirOwn.add(broker + " exited on its own (exit code "
                        + broker.process().map(p -> String.valueOf(p.exitValue())).orElse("none") + ")");
            }
        }
        cluster.brokerLink().heal();
        cluster.peerProxies().forEach(TcpProxy::heal);
        boolean brokerDown = false;
        for (KafkaBrokerProcess broker : cluster.kafka().brokers()) {
            if (broker.isAlive() && broker.isSuspended()) {
                record("heal: SIGCONT " + broker);
                broker.resume();
                brokerDown = true;
            }
        }
        for (LogKvNodeProcess node : cluster.nodes()) {
            if (node.isAlive() && node.isSuspended()) {
                record("heal: SIGCONT " + node);
                node.resume();
            }
        }
        for (KafkaBrokerProcess broker : cluster.kafka().brokers()) {
            if (!broker.isAlive()) {
                record("heal: start " + broker);
                broker.start();
                brokerDown = true;
            }
        }
        if (brokerDown) {
            new KafkaReadiness(cluster.bootstrapServers(), cluster.kafka().clientSettings(), cluster.kafka().brokers()).await(LocalKafkaCluster.NODES, BROKERS_READY_TIMEOUT);
        }
        for (LogKvNodeProcess node : cluster.nodes()) {
            if (!node.isAlive()) {
                record("heal: start " + node);
                node.start();
            }
            var notReady = node.awaitReady(NODE_READY_TIMEOUT);
            if (notReady.isPresent()) {
                throw new AssertionError(node + " not ready after the faults: " + notReady.get() + "\n" + node.logTail(40));
            }
            downNodes.remove(node.url());
        }
    }

    private synchronized void record(String what) {
        String line = String.format("t=%6.1f s  %s", (System.nanoTime() - originNanos) / 1e9, what);
        played.add(line);
        ProcessCluster.log("fault: " + line);
    }

    /** Nodes and brokers found dead at the end that no fault had killed: a crash of their own. */
    List<String> exitedOnTheirOwn() {
        return List.copyOf(exitedOnTheirOwn);
    }

    /** How many faults of each kind were played to their end (healed). */
    synchronized Map<FaultSchedule.Kind, Integer> counts() {
        return new EnumMap<>(counts);
    }

    /** What was done, with the time after the load's start, one line each. */
    synchronized List<String> played() {
        return List.copyOf(played);
    }
}
