package io.logkv.local;

import java.time.Duration;

/**
 * Entry point of a child broker JVM: {@code kafka.Kafka}, tethered to the launcher (see {@link LauncherTether}):
 * it exits when the launcher is gone and leaves Ctrl-C to the launcher, which stops the LogKV nodes first.
 */
public final class KafkaBrokerMain {

    /**
     * How long the controlled shutdown may take once the launcher is gone. All brokers stop at once then,
     * and a broker whose shutdown the controller quorum has not yet approved when two of the three
     * controllers are gone would otherwise wait five minutes for an approval that cannot come.
     */
    private static final Duration ORPHAN_SHUTDOWN = Duration.ofSeconds(20);

    private KafkaBrokerMain() {
    }

    public static void main(String[] args) {
        LauncherTether.ignoreTerminalSignals();
        if (LauncherTether.isTethered()) {
            // System.exit runs Kafka's shutdown hook, which does the controlled shutdown.
            LauncherTether.exitWhenLauncherIsGone("this broker", ORPHAN_SHUTDOWN);
        }
        kafka.Kafka.main(args);
    }
}
