package io.logkv.local;

import io.logkv.mirror.Mirror;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a {@code bin/logkv local} run has started — each region's brokers, the LogKV nodes, the mirror — and
 * its stop, the shutdown hook: the nodes first, while the brokers can still take their last writes, then
 * the mirror, then the brokers. Set on the command's thread, read by the hook's.
 */
final class LocalRun {

    /** Above Spring's graceful shutdown (30 s per phase), which a node with requests in flight may use up. */
    private static final Duration NODE_STOP_GRACE = Duration.ofSeconds(40);

    private final PrintStream out;
    private final PrintStream err;
    private volatile LocalKafkaCluster cluster;
    /** Region b's cluster and the mirrors between the regions, with --regions 2. */
    private volatile LocalKafkaCluster clusterB;
    private final List<Mirror> mirrors = new CopyOnWriteArrayList<>();
    private final List<LogKvNodeProcess> started = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;

    LocalRun(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    LocalKafkaCluster cluster() {
        return cluster;
    }

    void setCluster(LocalKafkaCluster cluster) {
        this.cluster = cluster;
    }

    /** Region b's cluster; null with one region. */
    LocalKafkaCluster clusterB() {
        return clusterB;
    }

    void setClusterB(LocalKafkaCluster clusterB) {
        this.clusterB = clusterB;
    }

    void addMirror(Mirror mirror) {
        mirrors.add(mirror);
    }

    /** The nodes started so far, region a's first. */
    List<LogKvNodeProcess> nodes() {
        return started;
    }

    void started(LogKvNodeProcess node) {
        started.add(node);
    }

    /** Whether the shutdown hook has begun: what fails from then on is its consequence. */
    boolean isStopping() {
        return stopping;
    }

    /** A failure while Ctrl-C is already stopping everything is a consequence, not news. */
    int failure(String message) {
        if (!stopping) {
            err.println(message.strip());
        }
        return 1;
    }

    /** The shutdown hook: the nodes first, while the brokers can still take their last writes, then the brokers. */
    void stop() {
        stopping = true;
        LocalKafkaCluster runningCluster = cluster;
        boolean brokersRunning = runningCluster != null
                && runningCluster.brokers().stream().anyMatch(KafkaBrokerProcess::isAlive);
        List<LogKvNodeProcess> runningNodes = started.stream().filter(LogKvNodeProcess::isAlive).toList();
        LocalKafkaCluster runningClusterB = clusterB;
        boolean brokersBRunning = runningClusterB != null
                && runningClusterB.brokers().stream().anyMatch(KafkaBrokerProcess::isAlive);
        if (runningNodes.isEmpty() && !brokersRunning && !brokersBRunning) {
            return;
        }
        List<Thread> stoppers = new ArrayList<>();
        for (LogKvNodeProcess node : runningNodes) {
            out.println("stopping LogKV " + node.nodeId() + " ...");
            // In parallel: one after the other, each node would hand its partitions to the next one to stop.
            Thread stopper = new Thread(() -> stopNode(node), "stop-logkv-" + node.nodeId());
            stopper.start();
            stoppers.add(stopper);
        }
        try {
            for (Thread stopper : stoppers) {
                stopper.join();
            }
            if (!mirrors.isEmpty()) {
                out.println("stopping the mirrors ...");
                mirrors.forEach(Mirror::close);
            }
            if (brokersBRunning) {
                out.println("stopping region " + LocalCommand.REGION_B + "'s Kafka brokers ...");
                runningClusterB.stop();
            }
            if (brokersRunning) {
                out.println("stopping Kafka brokers ...");
                runningCluster.stop();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.println("stopped");
    }

    private void stopNode(LogKvNodeProcess node) {
        try {
            if (!node.stop(NODE_STOP_GRACE)) {
                err.println("LogKV " + node.nodeId() + " did not stop within " + NODE_STOP_GRACE.toSeconds() + " s; killed it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
