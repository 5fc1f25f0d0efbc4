package io.logkv.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The TCP ports of a local Kafka cluster: node {@code i} (1-based) serves clients on
 * {@code brokerPorts[i-1]} and takes part in the KRaft controller quorum on {@code controllerPorts[i-1]}.
 */
public record KafkaPorts(List<Integer> brokerPorts, List<Integer> controllerPorts) {

    /** The host every listener binds to and advertises: the cluster is for this machine only. */
    public static final String HOST = "localhost";

    public KafkaPorts {
        brokerPorts = List.copyOf(brokerPorts);
        controllerPorts = List.copyOf(controllerPorts);
        if (brokerPorts.size() != controllerPorts.size()) {
            throw new IllegalArgumentException("one broker port and one controller port per node");
        }
    }

    /** Brokers on {@code firstPort, +1, +2}, then their controllers on the next three ports. */
    public static KafkaPorts consecutive(int firstPort, int nodes) {
        return new KafkaPorts(range(firstPort, nodes), range(firstPort + nodes, nodes));
    }

    /** Ports the operating system reports free right now; for tests that must not clash with a running cluster. */
    public static KafkaPorts ephemeral(int nodes) {
        List<Integer> ports = new ArrayList<>();
        List<ServerSocket> held = new ArrayList<>();
        try {
            // Hold every socket until all are chosen so the OS cannot hand out the same port twice.
            for (int i = 0; i < 2 * nodes; i++) {
                ServerSocket socket = new ServerSocket(0);
                held.add(socket);
                ports.add(socket.getLocalPort());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            held.forEach(KafkaPorts::closeQuietly);
        }
        return new KafkaPorts(ports.subList(0, nodes), ports.subList(nodes, 2 * nodes));
    }

    public int nodes() {
        return brokerPorts.size();
    }

    public int brokerPort(int nodeId) {
        return brokerPorts.get(nodeId - 1);
    }

    public int controllerPort(int nodeId) {
        return controllerPorts.get(nodeId - 1);
    }

    /** The {@code bootstrap.servers} value for clients of this cluster. */
    public String bootstrapServers() {
        return hostPorts(brokerPorts);
    }

    /** The {@code controller.quorum.bootstrap.servers} value for the nodes. */
    public String controllerBootstrapServers() {
        return hostPorts(controllerPorts);
    }

    /** The first port already taken by another process, or -1 when all are free. */
    public int firstPortInUse() {
        List<Integer> all = new ArrayList<>(brokerPorts);
        all.addAll(controllerPorts);
        return all.stream().filter(port -> !isFree(port)).findFirst().orElse(-1);
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String hostPorts(List<Integer> ports) {
        return ports.stream().map(port -> HOST + ":" + port).collect(Collectors.joining(","));
    }

    private static List<Integer> range(int first, int count) {
        return IntStream.range(first, first + count).boxed().toList();
    }

    private static void closeQuietly(ServerSocket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Only probing; nothing to clean up.
        }
    }
}
