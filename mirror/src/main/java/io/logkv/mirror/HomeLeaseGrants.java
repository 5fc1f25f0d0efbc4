package io.logkv.mirror;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.NamespaceRegistryTopic;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source region's home lease on one namespace, as its mirror into the target grants it (docs/adr/0020,
 * "Home leases"). Each grant is committed first in the target, in the mirror's transaction (so a promotion that
 * fences the mirror knows every grant there is), and only then written into the source's namespace registry,
 * where the source's nodes read it: so the source never holds a lease the target does not know of. Mirror's
 * thread only.
 */
final class HomeLeaseGrants {

    /** The mirror's events keep the logger name they have always had. */
    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);

    private final MirrorSettings settings;
    private final String topic;
    private final NamespaceName namespace;
    private final MirrorClients clients;
    private HomeLease lease;
    private HomeLease pending;
    private long lastGrantMs;

    HomeLeaseGrants(MirrorSettings settings, String topic, MirrorClients clients) {
        this.settings = settings;
        this.topic = topic;
        this.namespace = NamespaceName.ofTopic(topic);
        this.clients = clients;
    }

    /**
     * After the mirror's fence, before the copy is registered in the target: commits a fresh grant in the target
     * (the first one binds the source to the lease) and writes it into the source's registry, acknowledged, so
     * that the source's nodes are bound before the target's can ever be promoted.
     *
     * @param committed   the lease as the target holds it, read after the fence
     * @param sourceHolds whether the source's registry holds the namespace: when it does not, no node there writes it
     *                    and no copy is registered in the target, so there is nothing to bind (yet)
     * @throws MirrorRefusedException when a promotion of the target has revoked the lease
     */
    void resume(KafkaProducer<byte[], byte[]> producer, Optional<HomeLease> committed, boolean sourceHolds) {
        pending = null;
        lease = null;
        if (committed.map(HomeLease::revoked).orElse(false)) {
            throw new MirrorRefusedException("a promotion of region " + settings.targetRegion() + " revoked the home lease of "
                    + namespace + " that this mirror granted region " + settings.sourceRegion() + ": region "
                    + settings.targetRegion() + " is, or is becoming, its home");
        }
        if (namespace == null || !sourceHolds) {
            return;
        }
        long now = System.currentTimeMillis();
        HomeLease terms = committed.map(last -> new HomeLease(last.untilMs(), settings.homeLease().toMillis(),
                settings.maxClockSkew().toMillis(), false)).orElse(HomeLease.required(settings.homeLease().toMillis(),
                settings.maxClockSkew().toMillis()));
        HomeLease granted = terms.grantedAt(now);
        producer.beginTransaction();
        producer.send(PositionsTopic.record(settings.sourceRegion(), topic, granted));
        producer.commitTransaction();
        lease = granted;
        lastGrantMs = now;
        try {
            clients.sourceRegistry().send(entry(granted)).get(settings.kafkaTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while granting the home lease of " + namespace, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaUnavailableException("could not write the home lease of " + namespace + " into region "
                    + settings.sourceRegion() + "'s registry", e);
        }
        log.info("event=home_lease_granted topic={} home={} grantor={} lease_ms={} until_ms={}", topic, settings.sourceRegion(),
                settings.targetRegion(), granted.leaseMs(), granted.untilMs());
    }

    /**
     * The grant to commit in the transaction about to commit, when one is due (every tenth of the lease, at most
     * every heartbeat); null otherwise. Its time is read now, before the commit.
     */
    ProducerRecord<byte[], byte[]> dueGrant() {
        long now = System.currentTimeMillis();
        long interval = Math.max(settings.heartbeat().toMillis(), settings.homeLease().toMillis() / 10);
        if (lease == null || now - lastGrantMs < interval) {
            return null;
        }
        pending = lease.grantedAt(now);
        lastGrantMs = now;
        return PositionsTopic.record(settings.sourceRegion(), topic, pending);
    }

    /**
     * The transaction holding the due grant has committed: the grant goes to the source's registry, not awaited (a
     * grant that does not arrive lets the source's lease age, never the other way).
     */
    void committed() {
        if (pending == null) {
            return;
        }
        lease = pending;
        pending = null;
        clients.sourceRegistry().send(entry(lease), (metadata, error) -> {
            if (error != null) {
                log.debug("event=home_lease_not_written topic={} error=\"{}\"", topic, error.toString());
            }
        });
    }

    private ProducerRecord<byte[], byte[]> entry(HomeLease granted) {
        return NamespaceRegistryTopic.lease(namespace, settings.targetRegion(), granted);
    }
}
