package io.logkv.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A fault run's plan, drawn from its seed alone so that the same seed gives the same plan: how many LogKV
 * nodes, and a sequence of faults, each a kind, a target, a start time and a duration. Faults play one at a
 * time (a fault's start waits for the previous one to be healed, which for a node restart means ready
 * again), so a run never loses two brokers or two nodes at once.
 */
final class FaultSchedule {

    /** What a fault does. */
    enum Kind {
        /** SIGKILL a node, restart it on its data directory after the duration. */
        NODE_KILL("SIGKILL node, restart on its data"),
        /** SIGKILL a node, wipe its data directory, restart it after the duration (it rebuilds every replica). */
        NODE_KILL_WIPE("SIGKILL node, restart with its data wiped"),
        /** SIGSTOP a node, SIGCONT it after the duration. */
        NODE_PAUSE("SIGSTOP/SIGCONT node"),
        /** SIGKILL a broker, restart it after the duration. */
        BROKER_KILL("SIGKILL broker, restart"),
        /** SIGSTOP a broker, SIGCONT it after the duration: a hung broker (it keeps its sockets), not a dead one. */
        BROKER_PAUSE("SIGSTOP/SIGCONT broker"),
        /** Blackhole every connection between the proxied node (node-1) and the brokers for the duration. */
        NODE_CUT("node cut from the brokers"),
        /** Blackhole the proxy the other nodes reach one node through: they cannot reach it, it still reaches them. */
        PEER_CUT("node unreachable from its peers"),
        /** Blackhole every peer proxy: no node reaches another, each still reaches the brokers and its clients. */
        PEERS_PARTITIONED("every node cut from every other");

        final String title;

        Kind(String title) {
            this.title = title;
        }
    }

    /**
     * One planned fault.
     *
     * @param atMs       when it starts, ms after the load started (later if the previous fault is not over)
     * @param target     the node index (0 is node-1, the one behind the proxies) or the broker index
     * @param durationMs how long the fault lasts before it is healed
     */
    record Fault(long atMs, Kind kind, int target, long durationMs) {

        String describe() {
            String who = switch (kind) {
                case BROKER_KILL, BROKER_PAUSE -> "broker " + (target + 1);
                case PEERS_PARTITIONED -> "all nodes";
                default -> "node-" + (target + 1);
            };
            return String.format("t=%5.1f s  %-42s %-9s for %5.1f s", atMs / 1000.0, kind.title, who, durationMs / 1000.0);
        }
    }

    private final long seed;
    private final int nodes;
    private final List<Fault> faults;

    private FaultSchedule(long seed, int nodes, List<Fault> faults) {
        this.seed = seed;
        this.nodes = nodes;
        this.faults = List.copyOf(faults);
    }

    /**
     * Draws a plan from {@code seed}.
     *
     * @param nodes  the number of LogKV nodes, or 0 to draw it (2 or 3)
     * @param window faults start within this time after the load started
     */
    static FaultSchedule draw(long seed, int nodes, Duration window) {
        Random random = new Random(seed);
        int nodeCount = random.nextInt(2) + 2;
        if (nodes > 0) {
            nodeCount = nodes;
        }
        List<Fault> faults = new ArrayList<>();
        long at = 2_000 + random.nextInt(2_000);
        while (at < window.toMillis()) {
            Kind kind = kind(random.nextInt(100));
            int target = switch (kind) {
                case BROKER_KILL, BROKER_PAUSE -> random.nextInt(LocalKafkaCluster.NODES);
                case NODE_CUT -> 0;
                case PEERS_PARTITIONED -> -1;
                default -> random.nextInt(nodeCount);
            };
            long duration = switch (kind) {
                case NODE_KILL, NODE_KILL_WIPE -> 500 + random.nextInt(4_500);
                case NODE_PAUSE -> 1_000 + random.nextInt(7_000);
                case BROKER_KILL -> 1_000 + random.nextInt(7_000);
                // Up to beyond the brokers' session timeout (9 s), after which the controller fences the hung broker.
                case BROKER_PAUSE -> 1_000 + random.nextInt(11_000);
                case NODE_CUT -> 2_000 + random.nextInt(7_000);
                case PEER_CUT, PEERS_PARTITIONED -> 2_000 + random.nextInt(7_000);
            };
            faults.add(new Fault(at, kind, target, duration));
            // A gap with the cluster whole, so that the load sees it recover between faults.
            at += duration + 1_000 + random.nextInt(4_000);
        }
        return new FaultSchedule(seed, nodeCount, faults);
    }

    private static Kind kind(int roll) {
        if (roll < 14) {
            return Kind.NODE_KILL;
        }
        if (roll < 21) {
            return Kind.NODE_KILL_WIPE;
        }
        if (roll < 37) {
            return Kind.NODE_PAUSE;
        }
        if (roll < 51) {
            return Kind.BROKER_KILL;
        }
        if (roll < 65) {
            return Kind.BROKER_PAUSE;
        }
        if (roll < 79) {
            return Kind.NODE_CUT;
        }
        if (roll < 92) {
            return Kind.PEER_CUT;
        }
        return Kind.PEERS_PARTITIONED;
    }

    long seed() {
        return seed;
    }

    int nodes() {
        return nodes;
    }

    List<Fault> faults() {
        return faults;
    }

    /** The plan, one fault a line. */
    String describe() {
        StringBuilder text = new StringBuilder("seed " + seed + ", " + nodes + " LogKV nodes, 3 brokers; planned faults:\n");
        faults.forEach(fault -> text.append("  ").append(fault.describe()).append('\n'));
        return text.toString();
    }
}
