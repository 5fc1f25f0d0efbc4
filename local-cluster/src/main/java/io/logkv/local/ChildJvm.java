package io.logkv.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The life of one child JVM the launcher runs (a broker, a LogKV node): started, stopped as an operator
 * would, killed as a crash would, suspended and resumed as a hung process would be, started again. Its stdin stays a pipe from the launcher, which is how the
 * child learns that the launcher is gone (see {@link LauncherTether}).
 */
final class ChildJvm {

    /** How long the kernel may take to stop or continue a process after the signal. */
    private static final Duration SIGNAL_TIMEOUT = Duration.ofSeconds(5);

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

    /**
     * SIGSTOP: the JVM stays alive, holds its sockets and its place in every group, and answers nothing,
     * as a process stalled by a long pause, a swapped-out machine or a debugger would. Returns once the
     * kernel reports the process stopped.
     */
    void suspend() throws IOException, InterruptedException {
        signal("STOP");
        awaitState(true);
    }

    /** SIGCONT: a {@link #suspend() suspended} JVM runs again from where it stopped. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
        awaitState(false);
    }

    /** Whether the JVM is stopped by a signal right now (Linux: state {@code T} in {@code /proc/PID/stat}). */
    boolean isSuspended() throws IOException {
        Process current = process;
        if (current == null || !current.isAlive()) {
            return false;
        }
        String stat = Files.readString(Path.of("/proc", String.valueOf(current.pid()), "stat"));
        // The state follows the command name, which is in parentheses and may itself contain spaces.
        char state = stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
        return state == 'T';
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process current = process;
        if (current == null || !current.isAlive()) {
            throw new IllegalStateException(this.name + " is not running");
        }
        // The JDK sends only SIGTERM and SIGKILL; kill(1) sends the rest.
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(current.pid())).redirectErrorStream(true).start();
        String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + current.pid() + " (" + this.name + ") failed: " + output);
        }
    }

    private void awaitState(boolean suspended) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + SIGNAL_TIMEOUT.toNanos();
        while (isSuspended() != suspended) {
            if (System.nanoTime() > deadline) {
                throw new IOException(name + " is still " + (suspended ? "running" : "stopped") + " " + SIGNAL_TIMEOUT.toMillis()
                        + " ms after the signal");
            }
            Thread.sleep(5);
        }
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
