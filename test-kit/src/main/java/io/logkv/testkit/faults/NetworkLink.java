package io.logkv.testkit.faults;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One process's way to a group of endpoints, each through its own {@link TcpProxy}: e.g. a LogKV node's
 * connections to every Kafka broker. A fault applies to every proxy at once, so that the process is cut
 * from the whole group (a client of Kafka that still reached one broker would learn the others from it).
 */
public final class NetworkLink implements AutoCloseable {

    private final String name;
    private final List<TcpProxy> proxies;

    private NetworkLink(String name, List<TcpProxy> proxies) {
        this.name = name;
        this.proxies = List.copyOf(proxies);
    }

    /** A proxy on a free loopback port in front of each target, in the targets' order; all forwarding. */
    public static NetworkLink to(String name, List<InetSocketAddress> targets) throws IOException {
        List<TcpProxy> started = new ArrayList<>();
        try {
            for (int i = 0; i < targets.size(); i++) {
                started.add(TcpProxy.start(name + "-" + (i + 1), targets.get(i)));
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(TcpProxy::close);
            throw e;
        }
        return new NetworkLink(name, started);
    }

    public String name() {
        return name;
    }

    public List<TcpProxy> proxies() {
        return proxies;
    }

    /** The proxies' ports, in the targets' order. */
    public List<Integer> ports() {
        return proxies.stream().map(TcpProxy::port).toList();
    }

    /** {@code localhost:port,...} of the proxies: e.g. the {@code bootstrap.servers} of the cut-off process. */
    public String hostPorts() {
        return proxies.stream().map(TcpProxy::hostPort).collect(Collectors.joining(","));
    }

    /** See {@link TcpProxy#blackhole()}. */
    public void blackhole() {
        proxies.forEach(TcpProxy::blackhole);
    }

    /** See {@link TcpProxy#refuse()}. */
    public void refuse() {
        proxies.forEach(TcpProxy::refuse);
    }

    /** See {@link TcpProxy#latency(Duration)}. */
    public void latency(Duration latency) {
        proxies.forEach(proxy -> proxy.latency(latency));
    }

    /** See {@link TcpProxy#resetConnections()}; returns the connections reset over all proxies. */
    public int resetConnections() {
        return proxies.stream().mapToInt(TcpProxy::resetConnections).sum();
    }

    /** See {@link TcpProxy#heal()}. */
    public void heal() {
        proxies.forEach(TcpProxy::heal);
    }

    /** Bytes swallowed by the proxies' blackholes so far. */
    public long swallowedBytes() {
        return proxies.stream().mapToLong(TcpProxy::swallowedBytes).sum();
    }

    @Override
    public void close() {
        proxies.forEach(TcpProxy::close);
    }

    @Override
    public String toString() {
        return "NetworkLink " + name + " " + proxies;
    }
}
