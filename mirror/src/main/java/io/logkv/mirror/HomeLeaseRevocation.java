package io.logkv.mirror;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The first step of a forced promotion (docs/adr/0020, "Home leases"): the mirror from the old home into the new
 * home is fenced by its own transactional id in the new home, and the old home's lease is revoked in the same
 * place, in one transaction. After it no mirror grants the old home anything more (a later instance reads the
 * revocation after its own fence and refuses), and the last grant there is final: once it has run out, with the
 * clocks' skew, no node of the old home acknowledges a write, whether it is down, cut off or still running.
 */
final class HomeLeaseRevocation {

    /**
     * A revoked lease.
     *
     * @param lease          the lease as the new home held it, revoked
     * @param revokedAtMs    when it was revoked, by this process's wall clock (the clock the lease's times are on)
     * @param revokedAtNanos the same moment by this process's monotonic clock
     */
    record Revoked(HomeLease lease, long revokedAtMs, long revokedAtNanos) {

        /**
         * How long after {@code nowNanos} (this process's monotonic clock) some node of the old home may still hold the
         * lease: measured from the revocation on the monotonic clock, so that a step of the wall clock meanwhile does
         * not shorten the wait.
         */
        long leftNanos(long nowNanos) {
            long waitNanos = TimeUnit.MILLISECONDS.toNanos(lease.runsOutBy(revokedAtMs) - revokedAtMs);
            return waitNanos - (nowNanos - revokedAtNanos);
        }
    }

    private final MirrorSettings settings;
    private final NamespaceName namespace;

    /** @param settings source: the old home; target: the region promoted */
    HomeLeaseRevocation(MirrorSettings settings, NamespaceName namespace) {
        this.settings = settings;
        this.namespace = namespace;
    }

    /**
     * Fences the mirror into the new home (the cluster {@code newAdmin} reaches) and revokes the lease it granted;
     * empty when no mirror ever granted one (then nothing binds the old home's nodes, and the operator must keep
     * them stopped).
     */
    Optional<Revoked> revoke(Admin newAdmin) throws InterruptedException {
        return revoke(newAdmin, false);
    }

    /**
     * As {@link #revoke(Admin)}; with {@code evenUngranted}, a lease no mirror granted yet is revoked too (recorded
     * revoked under the mirror's terms), so that no mirror starts granting it afterwards.
     */
    Optional<Revoked> revoke(Admin newAdmin, boolean evenUngranted) throws InterruptedException {
        try {
            return FencingRetry.run("revoke region " + settings.sourceRegion() + "'s home lease of " + namespace,
                    () -> revokeOnce(newAdmin, evenUngranted));
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaUnavailableException("could not revoke region " + settings.sourceRegion() + "'s home lease of " + namespace
                    + " in region " + settings.targetRegion(), e);
        }
    }

    private Optional<Revoked> revokeOnce(Admin newAdmin, boolean evenUngranted) {
        String topic = namespace.truthTopic();
        Properties props = settings.targetKafka().properties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId(topic));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-promotion-revocation");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            // Read after the fence: every grant the mirror committed is here, and it commits no more.
            PositionsTopic.Committed committed = new PositionsTopic(newAdmin, settings.targetKafka(), settings)
                    .readCommitted(settings.sourceRegion(), topic);
            if (committed.leaseUnreadable()) {
                throw new PromotionRefusedException("region " + settings.targetRegion() + " holds a home lease of " + namespace
                        + " this version cannot read: it cannot tell how long region " + settings.sourceRegion() + " may write");
            }
            Optional<HomeLease> granted = committed.lease();
            if (granted.isEmpty() && !evenUngranted) {
                return Optional.empty();
            }
            long revokedAt = System.currentTimeMillis();
            long revokedAtNanos = System.nanoTime();
            HomeLease revoked = granted.orElse(HomeLease.required(settings.homeLease().toMillis(), settings.maxClockSkew().toMillis()))
                    .revoke();
            producer.beginTransaction();
            producer.send(PositionsTopic.record(settings.sourceRegion(), topic, revoked));
            producer.commitTransaction();
            return Optional.of(new Revoked(revoked, revokedAt, revokedAtNanos));
        }
    }
}
