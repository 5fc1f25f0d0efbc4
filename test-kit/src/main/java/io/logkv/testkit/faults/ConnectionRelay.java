package io.logkv.testkit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * How a {@link TcpProxy} carries its accepted connections: each one connected to the target and its bytes
 * moved both ways, or swallowed, or reset, as the proxy's mode and latency say at each chunk.
 */
final class ConnectionRelay {

    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final TcpProxy proxy;
    private final Set<ProxyConnection> connections;

    ConnectionRelay(TcpProxy proxy, Set<ProxyConnection> connections) {
        this.proxy = proxy;
        this.connections = connections;
    }

    /** Connects the accepted socket to the target (not in the acceptor: a connect may take its timeout). */
    void open(Socket client) {
        ProxyConnection connection = new ProxyConnection(client, connections);
        connections.add(connection);
        if (proxy.mode() == TcpProxy.Mode.RESET) {
            connection.reset();
            return;
        }
        if (proxy.mode() == TcpProxy.Mode.BLACKHOLE) {
            // No upstream at all: what the client sends is swallowed, and it never hears back.
            connection.lostBytes = true;
            TcpProxy.daemon("tcp-proxy-" + proxy.name() + "-swallow", () -> swallow(connection)).start();
            return;
        }
        try {
            Socket upstream = new Socket();
            upstream.setTcpNoDelay(true);
            upstream.connect(proxy.target(), CONNECT_TIMEOUT_MS);
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

    private void swallow(ProxyConnection connection) {
        byte[] buffer = new byte[CHUNK_BYTES];
        try (InputStream in = connection.client.getInputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                proxy.swallowed(read);
            }
        } catch (IOException ignored) {
            // Reset or closed: nothing was going anywhere anyway.
        }
        connection.reset();
    }

    /** One direction of a connection: a reader queues chunks, a deliverer writes each when its latency has passed. */
    private void relay(ProxyConnection connection, Socket from, Socket to, String direction) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        TcpProxy.daemon("tcp-proxy-" + proxy.name() + "-" + direction + "-read", () -> read(connection, from, queue)).start();
        TcpProxy.daemon("tcp-proxy-" + proxy.name() + "-" + direction + "-write", () -> deliver(connection, to, queue)).start();
    }

    private void read(ProxyConnection connection, Socket from, BlockingQueue<Chunk> queue) {
        byte[] buffer = new byte[CHUNK_BYTES];
        try {
            InputStream in = from.getInputStream();
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (connection.lostBytes && proxy.mode() == TcpProxy.Mode.FORWARD) {
                    // Healed while this connection was losing bytes: its stream is broken for good.
                    connection.reset();
                    break;
                }
                if (proxy.mode() != TcpProxy.Mode.FORWARD || connection.lostBytes) {
                    connection.lostBytes = true;
                    proxy.swallowed(read);
                    continue;
                }
                byte[] bytes = new byte[read];
                System.arraycopy(buffer, 0, bytes, 0, read);
                queue.add(new Chunk(System.nanoTime() + proxy.latencyNanos(), bytes));
            }
            queue.add(Chunk.END);
        } catch (IOException e) {
            connection.reset();
            queue.add(Chunk.END);
        }
    }

    private void deliver(ProxyConnection connection, Socket to, BlockingQueue<Chunk> queue) {
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
                if (proxy.mode() != TcpProxy.Mode.FORWARD || connection.lostBytes) {
                    connection.lostBytes = true;
                    proxy.swallowed(chunk.bytes().length);
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

    private record Chunk(long dueNanos, byte[] bytes) {
        static final Chunk END = new Chunk(0, new byte[0]);
    }
}
