package io.logkv.query.node;

import io.logkv.materializer.LocalReplicas;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.query.config.LogKvProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code replicas} health contributor, part of the readiness group: a node is ready to take reads
 * only once it has placed its replicas and every replica it holds is within {@code logkv.replicas.ready-max-lag-records} of the log,
 * and it is down when the thread that applies the log has died (the lag it last measured would otherwise
 * say "caught up" for ever). The liveness group has its own contributor, {@link ApplierHealthIndicator}.
 */
@Component("replicas")
public class ReplicasHealthIndicator implements HealthIndicator {

    private final LocalReplicas replicas;
    private final NodeStartup startup;
    private final ClusterReplicas cluster;
    private final long maxLagRecords;

    public ReplicasHealthIndicator(LocalReplicas replicas, NodeStartup startup, ClusterReplicas cluster,
                                   LogKvProperties props) {
        this.replicas = replicas;
        this.startup = startup;
        this.cluster = cluster;
        this.maxLagRecords = props.replicas().readyMaxLagRecords();
    }

    @Override
    public Health health() {
        if (!replicas.applierAlive()) {
            RuntimeException failure = replicas.failure();
            return Health.down().withDetail("error", failure == null ? "the replica applier thread has stopped"
                    : String.valueOf(failure.getMessage())).build();
        }
        if (!startup.started() || !cluster.placed() || !replicas.caughtUp(maxLagRecords)) {
            return Health.outOfService().withDetail("reason", "replicas are catching up with the log").build();
        }
        return Health.up().build();
    }
}
