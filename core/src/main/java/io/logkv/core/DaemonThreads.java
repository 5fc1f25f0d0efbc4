package io.logkv.core;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The node's background threads: named for what they do, and daemons, so that none keeps a stopped node's JVM alive. */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** A factory of daemon threads all named {@code name} (for executors of one thread, or of a few doing one job). */
    public static ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** A factory of daemon threads named {@code name-1}, {@code name-2}, … (for a pool of threads doing one job). */
    public static ThreadFactory numbered(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Starts {@code body} on a new daemon thread named {@code name}. */
    public static Thread start(String name, Runnable body) {
        Thread thread = named(name).newThread(body);
        thread.start();
        return thread;
    }
}
