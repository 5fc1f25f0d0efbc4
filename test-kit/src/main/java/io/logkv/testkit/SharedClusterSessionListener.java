package io.logkv.testkit;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Stops the shared in-process Kafka cluster when the JUnit session ends (registered as a service). */
public class SharedClusterSessionListener implements LauncherSessionListener {

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        KafkaTestCluster.closeShared();
    }
}
