package io.logkv.testkit.faults;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of one address, whose behaviour a test changes while traffic flows: the network
 * between two processes made into something a fault test can cut. It listens on a loopback port and
 * relays every connection to its target, in one of three {@link Mode modes}, optionally delaying every
 * chunk of bytes by a fixed latency; {@link #resetConnections()} tears the open connections down.
 *
 * <p>Threads: one acceptor, and per connection one reader and one deliverer per direction (plain blocking
 * sockets: the connections of a test number in the tens). Every thread is a daemon named after the proxy.
 * This class is the proxy's controls and its acceptor; {@link ConnectionRelay} carries the bytes and
 * {@link ProxyConnection} ends a connection.
 */
public final class TcpProxy implements AutoCloseable {

    /** What the proxy does with the bytes of its connections. */
    public enum Mode {
        /** Relays bytes both ways (after the configured latency). */
        FORWARD,
        /**
         * Accepts connections and swallows every byte in both directions without answering, as a network
         * that silently drops packets: peers see neither data nor a reset, only their own timeouts. A
         * connection that lost bytes this way can never carry a consistent stream again, so
         * {@link #heal()} resets it.
         */
        BLACKHOLE,
        /** Accepts connections and resets them at once (RST), as a host whose port is closed. */
        RESET
    }

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<ProxyConnection> connections = ConcurrentHashMap.newKeySet();
    private final ConnectionRelay relay = new ConnectionRelay(this, connections);
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong swallowedBytes = new AtomicLong();
    private volatile Mode mode = Mode.FORWARD;
    private volatile long latencyNanos;
    private volatile boolean closed;

    private TcpProxy(String name, InetSocketAddress target, ServerSocket server) {
        this.name = name;
        this.target = target;
        this.server = server;
    }

    /** A proxy to {@code target} on a free loopback port, forwarding. */
    public static TcpProxy start(String name, InetSocketAddress target) throws IOException {
        return start(name, 0, target);
    }

    /**
     * A proxy to {@code target} on {@code port} of the loopback interface (0: a free one), forwarding. The
     * target need not be up yet: each accepted connection connects to it afresh, and a connection whose
     * target refuses is reset.
     */
    public static TcpProxy start(String name, int port, InetSocketAddress target) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        TcpProxy proxy = new TcpProxy(name, target, server);
        daemon("tcp-proxy-" + name + "-accept", proxy::acceptLoop).start();
        return proxy;
    }

    public String name() {
        return name;
    }

    /** The port the proxy listens on. */
    public int port() {
        return server.getLocalPort();
    }

    /** {@code localhost:port}, as a client would name the proxy. */
    public String hostPort() {
        return "localhost:" + port();
    }

    public InetSocketAddress target() {
        return target;
    }

    public Mode mode() {
        return mode;
    }

    /** Relays again, without latency; connections that lost bytes to a blackhole are reset. */
    public void heal() {
        latencyNanos = 0;
        mode = Mode.FORWARD;
        for (ProxyConnection connection : connections) {
            if (connection.lostBytes) {
                connection.reset();
            }
        }
    }

    /** Swallows everything from now on (see {@link Mode#BLACKHOLE}); {@link #heal()} ends it. */
    public void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /** Resets every open connection, and every new one until {@link #heal()}. */
    public void refuse() {
        mode = Mode.RESET;
        resetConnections();
    }

    /** Delays every chunk of bytes, in both directions, by {@code latency} (zero for none). */
    public void latency(Duration latency) {
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency cannot be negative: " + latency);
        }
        latencyNanos = latency.toNanos();
    }

    /**
     * Resets (RST) every connection open now, on both of its sides; the peers see "connection reset" and
     * may connect again.
     *
     * @return how many connections were reset
     */
    public int resetConnections() {
        int count = 0;
        for (ProxyConnection connection : connections) {
            connection.reset();
            count++;
        }
        return count;
    }

    /** Connections open now. */
    public int openConnections() {
        return connections.size();
    }

    /** Connections accepted since the proxy started. */
    public long acceptedConnections() {
        return accepted.get();
    }

    /** Bytes swallowed by the blackhole since the proxy started. */
    public long swallowedBytes() {
        return swallowedBytes.get();
    }

    /** The latency every chunk of bytes waits now, for the relay. */
    long latencyNanos() {
        return latencyNanos;
    }

    /** Counts bytes the relay swallowed. */
    void swallowed(long bytes) {
        swallowedBytes.addAndGet(bytes);
    }

    /** Stops listening and resets every open connection. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        resetConnections();
    }

    @Override
    public String toString() {
        return "TcpProxy " + name + " " + hostPort() + " -> " + target.getHostString() + ":" + target.getPort() + " (" + mode + ")";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            accepted.incrementAndGet();
            daemon("tcp-proxy-" + name + "-open", () -> relay.open(client)).start();
        }
    }

    /** A daemon thread with {@code name}, not started yet: every thread of a proxy is one. */
    static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }
}
