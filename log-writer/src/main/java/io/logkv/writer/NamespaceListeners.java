package io.logkv.writer;

import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.PositionWaits;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog's listeners, called on a thread of their own, in log order. Their work (admin calls, opening and
 * dropping replicas) may take seconds; the catalog's reader hands each namespace change over and reads on, so the
 * registry view, its home leases and its freshness never wait for a listener, and neither do the writes that need
 * a fresh view ({@link HomeLeases}).
 *
 * <p>Hand-overs wait only when {@value #MAX_PENDING_CHANGES} changes are pending (a listener stuck for that long):
 * then the reader waits with them, and the view ages, as it did when listeners ran on the reader itself.
 */
final class NamespaceListeners implements AutoCloseable {

    static final int MAX_PENDING_CHANGES = 10_000;

    private static final Logger log = LoggerFactory.getLogger(NamespaceListeners.class);

    private record Change(NamespaceName namespace, NamespaceSettings settings) {
    }

    private final List<NamespaceCatalog.Listener> listeners = new CopyOnWriteArrayList<>();
    /** Positions up to which every change was heard. */
    private final PositionWaits heard = new PositionWaits(0, new AtomicInteger(), 10_000, WriterOverloadedException::new);
    private final Thread thread;
    /** Changes not yet heard, in log order (guarded by this). */
    private final ArrayDeque<Change> pending = new ArrayDeque<>();
    /** The registry position the reader has handed every change below over for (guarded by this). */
    private long readUpTo;
    private boolean closed;

    NamespaceListeners() {
        this.thread = DaemonThreads.named("logkv-namespace-listeners").newThread(this::run);
    }

    void add(NamespaceCatalog.Listener listener) {
        listeners.add(listener);
    }

    void start() {
        thread.start();
    }

    /** Hands a change over (the reader's thread); waits only while {@value #MAX_PENDING_CHANGES} are pending. */
    synchronized void changed(NamespaceName namespace, NamespaceSettings settings) {
        while (pending.size() >= MAX_PENDING_CHANGES && !closed) {
            try {
                wait(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        pending.addLast(new Change(namespace, settings));
        notifyAll();
    }

    /** Every change below {@code position} has been handed over (the reader's thread). */
    synchronized void readUpTo(long position) {
        if (position > readUpTo) {
            readUpTo = position;
            notifyAll();
        }
    }

    /** Completes with true once the listeners have heard of every change below {@code position}. */
    CompletableFuture<Boolean> awaitHeard(long position, Duration maxWait) {
        return heard.await(position, maxWait);
    }

    private void run() {
        long heardUpTo = 0;
        while (true) {
            Change next;
            long position;
            synchronized (this) {
                while (!closed && pending.isEmpty() && readUpTo == heardUpTo) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                next = pending.pollFirst();
                // With changes pending, the position read up to may lie past them: it is reached once they are heard.
                position = pending.isEmpty() ? readUpTo : heardUpTo;
                notifyAll();
            }
            if (next != null) {
                tell(next);
            }
            if (position > heardUpTo) {
                heardUpTo = position;
                heard.advance(position);
            }
        }
    }

    private void tell(Change change) {
        for (NamespaceCatalog.Listener listener : listeners) {
            try {
                listener.changed(change.namespace(), change.settings());
            } catch (RuntimeException e) {
                log.error("event=namespace_listener_failed namespace={}", change.namespace(), e);
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }
}
