package io.logkv.testkit.faults;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;

/**
 * One connection through a {@link TcpProxy}: the client's socket and, once connected, the target's; how it
 * ends, with a FIN passed on per direction or a RST on both sides. It leaves the proxy's open connections
 * when it ends.
 */
final class ProxyConnection {

    final Socket client;
    volatile Socket upstream;
    /** Some of its bytes were swallowed: it can only be reset. */
    volatile boolean lostBytes;
    private final Set<ProxyConnection> open;
    private volatile boolean reset;
    private int halfClosedSides;

    ProxyConnection(Socket client, Set<ProxyConnection> open) {
        this.client = client;
        this.open = open;
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
            open.remove(this);
        }
    }

    /** Both sides closed with SO_LINGER 0, which sends a RST instead of a FIN. */
    void reset() {
        reset = true;
        resetQuietly(client);
        resetQuietly(upstream);
        open.remove(this);
    }

    private static void resetQuietly(Socket socket) {
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

    private static void closeQuietly(Socket socket) {
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
