package io.logkv.mirror;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.NamespaceRegistryTopic;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
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
    private final Supplier<KafkaProducer<byte[], byte[]>> sourceRegistry;
    private HomeLease lease;
    private HomeLease pending;
    private long lastGrantMs;

    /** @param sourceRegistry a producer of records into the source's namespace registry, opened on first use */
    HomeLeaseGrants(MirrorSettings settings, String topic, Supplier<KafkaProducer<byte[], byte[]>> sourceRegistry) {
        this.settings = settings;
        this.topic = topic;
        this.namespace = NamespaceName.ofTopic(topic);
        this.sourceRegistry = sourceRegistry;
    }

    /**
     * After the mirror's fence: binds the source to the lease, then grants it afresh. The source's registry first gets
     * the lease as the target holds it (a bare requirement the first time), acknowledged; only then does the target
     * commit anything newer. So whenever the target holds a grant, the source's nodes are bound to the lease (they
     * read the registry within their view's age), whether or not a copy was registered before.
     *
     * @param committed   the lease as the target holds it, read after the fence
     * @param unreadable  whether the target holds a lease record this version cannot read (refused: it fails closed)
     * @param sourceHolds whether the source's registry holds the namespace: when it does not, no node there writes it
     *                    and no copy is registered in the target, so there is nothing to bind (yet)
     * @throws MirrorRefusedException when a promotion of the target, or a release of its copy, has revoked the lease
     */
    void resume(KafkaProducer<byte[], byte[]> producer, Optional<HomeLease> committed, boolean unreadable, boolean sourceHolds) {
        pending = null;
        lease = null;
        if (unreadable || committed.map(HomeLease::revoked).orElse(false)) {
            throw new MirrorRefusedException((unreadable ? "region " + settings.targetRegion() + " holds a home lease of " + namespace
                    + " this mirror cannot read" : "a promotion of region " + settings.targetRegion() + ", or a release of its copy, revoked the"
                    + " home lease of " + namespace + " that this mirror granted region " + settings.sourceRegion())
                    + ": the mirror does not carry it into region " + settings.targetRegion() + " again");
        }
        if (namespace == null || !sourceHolds) {
            return;
        }
        long leaseMs = settings.homeLease().toMillis();
        long skewMs = settings.maxClockSkew().toMillis();
        HomeLease terms = committed.map(last -> last.withTerms(leaseMs, skewMs)).orElse(HomeLease.required(leaseMs, skewMs));
        write(terms);
        long now = System.currentTimeMillis();
        HomeLease granted = terms.grantedAt(now);
        producer.beginTransaction();
        producer.send(PositionsTopic.record(settings.sourceRegion(), topic, granted));
        producer.commitTransaction();
        lease = granted;
        lastGrantMs = now;
        write(granted);
        log.info("event=home_lease_granted topic={} home={} grantor={} lease_ms={} until_ms={}", topic, settings.sourceRegion(),
                settings.targetRegion(), granted.leaseMs(), granted.untilMs());
    }

    /** Writes a lease into the source's registry and waits for its acknowledgement. */
    private void write(HomeLease written) {
        try {
            sourceRegistry.get().send(entry(written)).get(settings.kafkaTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while writing the home lease of " + namespace, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaUnavailableException("could not write the home lease of " + namespace + " into region "
                    + settings.sourceRegion() + "'s registry", e);
        }
    }

    /**
     * The grant to commit in the transaction about to commit, when one is due (every quarter of the lease, at most
     * every heartbeat: the registry every node replays gets a record per namespace and copy that often); null
     * otherwise. Its time is read now, before the commit.
     */
    ProducerRecord<byte[], byte[]> dueGrant() {
        long now = System.currentTimeMillis();
        long interval = Math.max(settings.heartbeat().toMillis(), settings.homeLease().toMillis() / 4);
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
        sourceRegistry.get().send(entry(lease), (metadata, error) -> {
            if (error != null) {
                log.debug("event=home_lease_not_written topic={} error=\"{}\"", topic, error.toString());
            }
        });
    }

    private ProducerRecord<byte[], byte[]> entry(HomeLease granted) {
        return NamespaceRegistryTopic.lease(namespace, settings.targetRegion(), granted);
    }
}
