package io.logkv.mirror;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
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
     * @param lease       the lease as the new home held it, revoked
     * @param revokedAtMs when it was revoked, by this process's clock
     */
    record Revoked(HomeLease lease, long revokedAtMs) {

        /** When, by this process's clock, no node of the old home holds the lease any more. */
        long runsOutByMs() {
            return lease.runsOutBy(revokedAtMs);
        }
    }

    /** How many times the revocation takes the mirror's transactional id before it gives up. */
    private static final int MAX_ATTEMPTS = 10;

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
        for (int attempt = 1; ; attempt++) {
            try {
                return revokeOnce(newAdmin);
            } catch (ProducerFencedException | InvalidProducerEpochException e) {
                // The mirror, failing on the fence, started again and fenced this producer before it committed: the
                // lease is not revoked yet. Taken again, the id fences the new instance; the one after it reads the
                // revocation and refuses.
                if (attempt == MAX_ATTEMPTS) {
                    throw new KafkaUnavailableException("could not revoke region " + settings.sourceRegion() + "'s home lease of "
                            + namespace + ": the mirror into region " + settings.targetRegion() + " took its transactional id back "
                            + MAX_ATTEMPTS + " times", e);
                }
                Thread.sleep(100L * attempt);
            } catch (org.apache.kafka.common.KafkaException e) {
                throw new KafkaUnavailableException("could not revoke region " + settings.sourceRegion() + "'s home lease of " + namespace
                        + " in region " + settings.targetRegion(), e);
            }
        }
    }

    private Optional<Revoked> revokeOnce(Admin newAdmin) {
        String topic = namespace.truthTopic();
        Properties props = settings.targetKafka().properties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId(topic));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-promotion-revocation");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            // Read after the fence: every grant the mirror committed is here, and it commits no more.
            Optional<HomeLease> granted = new PositionsTopic(newAdmin, settings.targetKafka(), settings)
                    .readCommitted(settings.sourceRegion(), topic).lease();
            if (granted.isEmpty()) {
                return Optional.empty();
            }
            long revokedAt = System.currentTimeMillis();
            HomeLease revoked = granted.get().revoke();
            producer.beginTransaction();
            producer.send(PositionsTopic.record(settings.sourceRegion(), topic, revoked));
            producer.commitTransaction();
            return Optional.of(new Revoked(revoked, revokedAt));
        } catch (org.apache.kafka.common.KafkaException e) {
            Throwable fenced = e;
            while (fenced != null && !(fenced instanceof ProducerFencedException) && !(fenced instanceof InvalidProducerEpochException)) {
                fenced = fenced.getCause();
            }
            if (fenced instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }
}
