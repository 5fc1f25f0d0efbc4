package io.logkv.testkit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of one address, whose behaviour a test changes while traffic flows: the network
 * between two processes made into something a fault test can cut. It listens on a loopback port and
 * relays every connection to its target, in one of three {@link Mode modes}, optionally delaying every
 * chunk of bytes by a fixed latency; {@link #resetConnections()} tears the open connections down.
 *
 * <p>Threads: one acceptor, and per connection one reader and one deliverer per direction (plain blocking
 * sockets: the connections of a test number in the tens). Every thread is a daemon named after the proxy.
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

    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
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
        for (Connection connection : connections) {
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
        for (Connection connection : connections) {
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
            daemon("tcp-proxy-" + name + "-open", () -> open(client)).start();
        }
    }

    /** Connects the accepted socket to the target (not in the acceptor: a connect may take its timeout). */
    private void open(Socket client) {
        Connection connection = new Connection(client);
        connections.add(connection);
        if (mode == Mode.RESET) {
            connection.reset();
            return;
        }
        if (mode == Mode.BLACKHOLE) {
            // No upstream at all: what the client sends is swallowed, and it never hears back.
            connection.lostBytes = true;
            daemon("tcp-proxy-" + name + "-swallow", () -> swallow(connection)).start();
            return;
        }
        try {
            Socket upstream = new Socket();
            upstream.setTcpNoDelay(true);
            upstream.connect(target, CONNECT_TIMEOUT_MS);
            client.setTcpNoDelay(true);
            connection.upstream = upstream;
        } catch (IOException e) {
            connection.reset();
            return;
        }
        if (connection.isReset()) {
            connection.reset();
            return;
        }
        relay(connection, client, connection.upstream, "up");
        relay(connection, connection.upstream, client, "down");
    }

    private void swallow(Connection connection) {
        byte[] buffer = new byte[CHUNK_BYTES];
        try (InputStream in = connection.client.getInputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                swallowedBytes.addAndGet(read);
            }
        } catch (IOException ignored) {
            // Reset or closed: nothing was going anywhere anyway.
        }
        connection.reset();
    }

    /** One direction of a connection: a reader queues chunks, a deliverer writes each when its latency has passed. */
    private void relay(Connection connection, Socket from, Socket to, String direction) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        daemon("tcp-proxy-" + name + "-" + direction + "-read", () -> read(connection, from, queue)).start();
        daemon("tcp-proxy-" + name + "-" + direction + "-write", () -> deliver(connection, to, queue)).start();
    }

    private void read(Connection connection, Socket from, BlockingQueue<Chunk> queue) {
        byte[] buffer = new byte[CHUNK_BYTES];
        try {
            InputStream in = from.getInputStream();
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (connection.lostBytes && mode == Mode.FORWARD) {
                    // Healed while this connection was losing bytes: its stream is broken for good.
                    connection.reset();
                    break;
                }
                if (mode != Mode.FORWARD || connection.lostBytes) {
                    connection.lostBytes = true;
                    swallowedBytes.addAndGet(read);
                    continue;
                }
                byte[] bytes = new byte[read];
                System.arraycopy(buffer, 0, bytes, 0, read);
                queue.add(new Chunk(System.nanoTime() + latencyNanos, bytes));
            }
            queue.add(Chunk.END);
        } catch (IOException e) {
            connection.reset();
            queue.add(Chunk.END);
        }
    }

    private void deliver(Connection connection, Socket to, BlockingQueue<Chunk> queue) {
        try {
            OutputStream out = to.getOutputStream();
            while (true) {
                Chunk chunk = queue.take();
                if (chunk == Chunk.END) {
                    connection.halfClosed(to);
                    return;
                }
                long waitNanos = chunk.dueNanos() - System.nanoTime();
                if (waitNanos > 0) {
                    TimeUnit.NANOSECONDS.sleep(waitNanos);
                }
                // Bytes still in flight when the network went dark are lost with it.
                if (mode != Mode.FORWARD || connection.lostBytes) {
                    connection.lostBytes = true;
                    swallowedBytes.addAndGet(chunk.bytes().length);
                    continue;
                }
                out.write(chunk.bytes());
                out.flush();
            }
        } catch (IOException e) {
            connection.reset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private record Chunk(long dueNanos, byte[] bytes) {
        static final Chunk END = new Chunk(0, new byte[0]);
    }

    /** One proxied connection: the client's socket and, once connected, the target's. */
    private final class Connection {
        final Socket client;
        volatile Socket upstream;
        /** Some of its bytes were swallowed: it can only be reset. */
        volatile boolean lostBytes;
        private volatile boolean reset;
        private int halfClosedSides;

        Connection(Socket client) {
            this.client = client;
        }

        boolean isReset() {
            return reset;
        }

        /** An orderly end of one direction (the sender closed its output): passed on as a FIN. */
        synchronized void halfClosed(Socket to) {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // Already gone.
            }
            halfClosedSides++;
            if (halfClosedSides == 2) {
                closeQuietly(client);
                closeQuietly(upstream);
                connections.remove(this);
            }
        }

        /** Both sides closed with SO_LINGER 0, which sends a RST instead of a FIN. */
        void reset() {
            reset = true;
            resetQuietly(client);
            resetQuietly(upstream);
            connections.remove(this);
        }

        private void resetQuietly(Socket socket) {
            if (socket == null || socket.isClosed()) {
                return;
            }
            try {
                socket.setSoLinger(true, 0);
            } catch (SocketException ignored) {
                // Closing is what matters.
            }
            closeQuietly(socket);
        }

        private void closeQuietly(Socket socket) {
            if (socket == null) {
                return;
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // Already closed by the other side.
            }
        }
    }
}
