package io.logkv.core;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * Ends a child process when the process that launched it is gone, even if the launcher was killed with SIGKILL
 * and never got to stop it. The launcher holds the write end of the child's stdin; the kernel closes it when the
 * launcher dies, however it dies, so end of input is the signal (no polling of process ids). The launcher sends
 * nothing: any input is ignored.
 */
public final class LauncherWatchdog {

    private LauncherWatchdog() {
    }

    /** Starts a daemon thread that calls {@link System#exit} with status 0 (so shutdown hooks run) once stdin ends. */
    public static void exitAtEndOfInput() {
        DaemonThreads.start("launcher-watchdog", () -> {
            awaitEndOfInput();
            System.exit(0);
        });
    }

    /**
     * As {@link #exitAtEndOfInput()}, saying so on stderr first, and halting the JVM (status 1) if the shutdown
     * hooks take longer than {@code orphanShutdown}: a hook waiting for another process that is going down at the
     * same moment would otherwise wait forever.
     *
     * @param child what this process is, for the messages on its console ("this broker")
     */
    public static void exitAtEndOfInput(String child, Duration orphanShutdown) {
        DaemonThreads.start("launcher-watchdog", () -> {
            awaitEndOfInput();
            System.err.println("the launcher is gone; shutting " + child + " down");
            DaemonThreads.start("orphan-shutdown-deadline", () -> {
                try {
                    Thread.sleep(orphanShutdown.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                System.err.println("shutting " + child + " down took longer than " + orphanShutdown.toMillis() + " ms; halting");
                Runtime.getRuntime().halt(1);
            });
            System.exit(0);
        });
    }

    private static void awaitEndOfInput() {
        try (InputStream launcher = System.in) {
            while (launcher.read() != -1) {
                // Only the end matters.
            }
        } catch (IOException e) {
            // A broken pipe means the same as the end of input.
        }
    }
}
