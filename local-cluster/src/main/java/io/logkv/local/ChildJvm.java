package io.logkv.local;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The life of one child JVM the launcher runs (a broker, a LogKV node): started, stopped as an operator
 * would, killed as a crash would, started again. Its stdin stays a pipe from the launcher, which is how the
 * child learns that the launcher is gone (see {@link LauncherTether}).
 */
final class ChildJvm {

    private final String name;
    private volatile Process process;

    ChildJvm(String name) {
        this.name = name;
    }

    /** Starts the JVM; fails if the previous one still runs. */
    void start(ProcessBuilder builder) throws IOException {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        process = builder.start();
    }

    Optional<Process> process() {
        return Optional.ofNullable(process);
    }

    Optional<ProcessHandle> processHandle() {
        return process().map(Process::toHandle);
    }

    boolean isAlive() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /**
     * SIGTERM, then SIGKILL if the JVM has not exited within {@code grace}. The signal goes through the
     * process handle: {@link Process#destroy()} would also close the child's stdin, which the child takes
     * for its launcher being gone.
     *
     * @return true if it exited within the grace period
     */
    boolean stop(Duration grace) throws InterruptedException {
        Process current = process;
        if (current == null || !current.isAlive()) {
            return true;
        }
        current.toHandle().destroy();
        if (current.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        kill();
        return false;
    }

    /** SIGKILL, and waits until the JVM is gone. */
    void kill() throws InterruptedException {
        Process current = process;
        if (current != null) {
            current.destroyForcibly();
            current.waitFor();
        }
    }
}
