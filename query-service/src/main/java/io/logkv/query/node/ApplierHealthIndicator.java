package io.logkv.query.node;

import io.logkv.materializer.LocalReplicas;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code applier} health contributor, part of the liveness group: a node whose replica applier thread
 * has died no longer follows the log and will not recover by itself, so it reports itself not live and
 * its orchestrator restarts it (which replays the replicas from their persisted positions).
 */
@Component("applier")
public class ApplierHealthIndicator implements HealthIndicator {

    private final LocalReplicas replicas;

    public ApplierHealthIndicator(LocalReplicas replicas) {
        this.replicas = replicas;
    }

    @Override
    public Health health() {
        if (replicas.applierAlive()) {
            return Health.up().build();
        }
        RuntimeException failure = replicas.failure();
        return Health.down().withDetail("reason", "the replica applier thread has stopped")
                .withDetail("error", failure == null ? "(none recorded)" : String.valueOf(failure.getMessage())).build();
    }
}
