package io.logkv.local;

import io.logkv.core.LauncherWatchdog;
import java.time.Duration;
import sun.misc.Signal;

/**
 * What a child JVM of {@code bin/logkv local} (a Kafka broker or a LogKV node) does to live and die with
 * its launcher.
 * <ul>
 *   <li>It exits when the launcher is gone, even if the launcher was killed with SIGKILL and never got to
 *       stop it. The launcher holds the write end of the child's stdin; the kernel closes it when the
 *       launcher dies, however it dies, so end-of-input is the signal ({@link LauncherWatchdog}).</li>
 *   <li>It ignores SIGINT and SIGHUP: a Ctrl-C in the terminal reaches the whole process group, but the
 *       launcher stops its children in an order (LogKV nodes before the brokers they write to), so only
 *       the launcher's SIGTERM stops them.</li>
 * </ul>
 */
final class LauncherTether {

    /** Set to {@code true} by the launcher, whose pipe is the child's stdin. */
    static final String EXIT_WITH_LAUNCHER_PROPERTY = "logkv.exit-with-launcher";

    private LauncherTether() {
    }

    /** True in a child JVM that the launcher started with {@link #EXIT_WITH_LAUNCHER_PROPERTY}. */
    static boolean isTethered() {
        return Boolean.getBoolean(EXIT_WITH_LAUNCHER_PROPERTY);
    }

    /** Leaves Ctrl-C and a closed terminal to the launcher. Call first thing in {@code main}. */
    static void ignoreTerminalSignals() {
        Signal.handle(new Signal("INT"), signal -> { });
        Signal.handle(new Signal("HUP"), signal -> { });
    }

    /**
     * Starts a daemon thread that calls {@link System#exit} (so shutdown hooks run) once stdin ends, and
     * halts the JVM if those hooks take longer than {@code orphanShutdown}: the launcher's other children
     * are going down at the same moment, and a hook waiting for one of them would otherwise wait forever.
     *
     * @param child what this JVM is, for the message on its console ("this broker")
     */
    static void exitWhenLauncherIsGone(String child, Duration orphanShutdown) {
        LauncherWatchdog.exitAtEndOfInput(child, orphanShutdown);
    }
}
