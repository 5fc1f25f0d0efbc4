package io.logkv.local;

import java.io.IOException;
import java.io.InputStream;
import sun.misc.Signal;

/**
 * Entry point of a child broker JVM: {@code kafka.Kafka}, plus two things a plain broker lacks when a
 * launcher owns it.
 * <ul>
 *   <li>It exits when the launcher is gone, even if the launcher was killed with SIGKILL and never got to
 *       stop it. The launcher holds the write end of this JVM's stdin; the kernel closes it when the
 *       launcher dies, however it dies, so end-of-input is the signal (no polling of process ids).</li>
 *   <li>It ignores SIGINT and SIGHUP: a Ctrl-C in the terminal reaches the whole process group, but the
 *       launcher must stop the LogKV node before the brokers, so only the launcher's SIGTERM stops them.</li>
 * </ul>
 */
public final class KafkaBrokerMain {

    /** Set to {@code true} by the launcher, whose pipe is this JVM's stdin. */
    static final String EXIT_WITH_LAUNCHER_PROPERTY = "logkv.exit-with-launcher";

    /**
     * How long the controlled shutdown may take once the launcher is gone. All brokers stop at once then,
     * and a broker whose shutdown the controller quorum has not yet approved when two of the three
     * controllers are gone would otherwise wait five minutes for an approval that cannot come.
     */
    private static final long ORPHAN_SHUTDOWN_MILLIS = 20_000;

    private KafkaBrokerMain() {
    }

    public static void main(String[] args) {
        Signal.handle(new Signal("INT"), signal -> { });
        Signal.handle(new Signal("HUP"), signal -> { });
        if (Boolean.getBoolean(EXIT_WITH_LAUNCHER_PROPERTY)) {
            Thread watchdog = new Thread(KafkaBrokerMain::exitAtEndOfInput, "launcher-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }
        kafka.Kafka.main(args);
    }

    private static void exitAtEndOfInput() {
        try (InputStream launcher = System.in) {
            while (launcher.read() != -1) {
                // The launcher sends nothing; any input is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the same as end of input.
        }
        System.err.println("the launcher is gone; shutting this broker down");
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(ORPHAN_SHUTDOWN_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("controlled shutdown did not finish in " + ORPHAN_SHUTDOWN_MILLIS + " ms; halting");
            Runtime.getRuntime().halt(1);
        }, "orphan-shutdown-deadline");
        deadline.setDaemon(true);
        deadline.start();
        // System.exit runs Kafka's shutdown hook, which does the controlled shutdown.
        System.exit(0);
    }
}
