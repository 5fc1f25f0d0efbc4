package io.logkv.local;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.ElectionType;

/**
 * Waits until the cluster answers as a whole: every broker registered with the controller quorum and
 * unfenced (a fenced broker is left out of {@code describeCluster}), so that a topic with replication
 * factor 3 can be created at once.
 */
final class KafkaReadiness {

    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private final String bootstrapServers;
    private final Map<String, String> clientSettings;
    private final List<KafkaBrokerProcess> brokers;

    /** @param clientSettings the Kafka client settings of the cluster's listener (TLS, SASL); empty for a plain one */
    KafkaReadiness(String bootstrapServers, Map<String, String> clientSettings, List<KafkaBrokerProcess> brokers) {
        this.bootstrapServers = bootstrapServers;
        this.clientSettings = Map.copyOf(clientSettings);
        this.brokers = brokers;
    }

    void await(int expectedBrokers, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = new HashMap<>(clientSettings);
        config.putAll(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500));
        try (Admin admin = Admin.create(config)) {
            int seen = 0;
            while (System.nanoTime() < deadline) {
                failIfAnyBrokerDied();
                seen = liveBrokers(admin);
                if (seen >= expectedBrokers) {
                    preferredLeaders(admin);
                    return;
                }
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
            throw new KafkaStartException("Kafka did not become ready within " + timeout.toSeconds() + " s ("
                    + seen + " of " + expectedBrokers + " brokers up)", tails());
        }
    }

    /**
     * Gives every partition whose preferred replica is in sync its preferred leader, so that a restarted
     * cluster does not run with every partition led by the broker that came up first (best effort: the
     * brokers' own imbalance check catches up with partitions whose preferred replica is still catching up).
     */
    private static void preferredLeaders(Admin admin) throws InterruptedException {
        try {
            admin.electLeaders(ElectionType.PREFERRED, null).partitions().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException notNow) {
            // left to the brokers' imbalance check
        }
    }

    private static int liveBrokers(Admin admin) throws InterruptedException {
        try {
            return admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
        } catch (ExecutionException | TimeoutException notYet) {
            return 0;
        }
    }

    private void failIfAnyBrokerDied() {
        for (KafkaBrokerProcess broker : brokers) {
            if (!broker.isAlive()) {
                String exitCode = broker.process().map(p -> String.valueOf(p.exitValue())).orElse("none");
                throw new KafkaStartException(broker + " exited during startup (exit code " + exitCode + ")",
                        broker.logTail(20));
            }
        }
    }

    private String tails() {
        StringBuilder tails = new StringBuilder();
        brokers.forEach(broker -> tails.append(broker.logTail(10)));
        return tails.toString();
    }
}
