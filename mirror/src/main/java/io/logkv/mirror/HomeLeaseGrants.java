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
 * The source region's home lease on one namespace, as its mirror into the target grants it (docs/adr/0020, "Home
 * leases"). Each grant is committed first in the target, in the mirror's transaction (so a promotion that fences the
 * mirror knows every grant there is), and only then written into the source's namespace registry, where the source's
 * nodes read it: so the source never holds a lease the target does not know of. A grant is renewed only while the copy
 * is current ({@link #dueGrant}): a mirror that copies nothing (refused, retrying, cut off from the source, or behind)
 * grants nothing, and the lease lapses within one lease of the last time the copy was complete, after which the
 * source's nodes refuse writes. Mirror's thread only.
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
     * Refuses a lease that a promotion of the target, or a release of its copy, has revoked (or one this version cannot
     * read: it fails closed): no mirror carries the namespace into the target again.
     *
     * @throws MirrorRefusedException when it is so
     */
    void refuseIfRevoked(Optional<HomeLease> committed, boolean unreadable) {
        if (unreadable || committed.map(HomeLease::revoked).orElse(false)) {
            throw new MirrorRefusedException((unreadable ? "region " + settings.targetRegion() + " holds a home lease of " + namespace
                    + " this mirror cannot read" : "a promotion of region " + settings.targetRegion() + ", or a release of its copy, revoked the"
                    + " home lease of " + namespace + " that this mirror granted region " + settings.sourceRegion())
                    + ": the mirror does not carry it into region " + settings.targetRegion() + " again");
        }
    }

    /**
     * After the mirror's fence, before the target registers a copy: binds the source to the lease, granting nothing. The
     * source's registry first gets the lease as the target holds it (a bare requirement the first time), acknowledged;
     * then the target commits the same, so that a promotion's revocation finds it. So whenever the target holds a grant
     * or a copy, the source's nodes are bound to the lease (they read the registry within their view's age). The first
     * grant comes with the first transaction that finds the copy current ({@link #dueGrant}).
     *
     * @param committed   the lease as the target holds it, read after the fence
     * @param unreadable  whether the target holds a lease record this version cannot read (refused: it fails closed)
     * @param bind        whether to bind the source now; not when its registry does not hold the namespace (no node there
     *                    writes it, and no copy is registered in the target: there is nothing to bind yet), nor, for a
     *                    home never bound before, until its new copy has caught up (its writes would stop meanwhile)
     * @throws MirrorRefusedException when a promotion of the target, or a release of its copy, has revoked the lease
     */
    void resume(KafkaProducer<byte[], byte[]> producer, Optional<HomeLease> committed, boolean unreadable, boolean bind) {
        pending = null;
        lease = null;
        lastGrantMs = 0;
        refuseIfRevoked(committed, unreadable);
        if (namespace == null || !bind) {
            return;
        }
        long leaseMs = settings.homeLease().toMillis();
        long skewMs = settings.maxClockSkew().toMillis();
        HomeLease terms = committed.map(last -> last.withTerms(leaseMs, skewMs)).orElse(HomeLease.required(leaseMs, skewMs));
        write(terms);
        producer.beginTransaction();
        producer.send(PositionsTopic.record(settings.sourceRegion(), topic, terms));
        producer.commitTransaction();
        lease = terms;
        log.info("event=home_lease_bound topic={} home={} grantor={} lease_ms={} until_ms={}", topic, settings.sourceRegion(),
                settings.targetRegion(), terms.leaseMs(), terms.untilMs());
    }

    /** Whether the source is bound to the lease since the last {@link #resume}: a copy may be registered. */
    boolean bound() {
        return lease != null;
    }

    /**
     * Grants the bound lease at once, committed in the target and then written into the source's registry: only where the
     * copy is known complete without a transaction of this instance's to show it (the resume that binds a home once its
     * new copy has caught up; a promotion's handover, {@link HomeLeaseHandover}).
     */
    void grantNow(KafkaProducer<byte[], byte[]> producer) {
        if (lease == null) {
            return;
        }
        long now = System.currentTimeMillis();
        HomeLease granted = lease.grantedAt(now);
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
     * The grant to commit in the transaction about to commit, when one is due: every quarter of the lease, at most every
     * heartbeat (the registry every node replays gets a record per namespace and copy that often), and only while the
     * copy is current, every partition found read to the source's end within that interval; null otherwise. Its time is
     * read now, before the commit. So each grant follows a moment the copy was complete, and the home's last grant runs
     * out at most an interval plus a lease after the copy was last complete.
     *
     * @param copyCompleteAsOfMs when the copy last held every record of the source: the oldest of its partitions' latest
     *                           times read to the end (with a fresh answer of the source's brokers); -1 unknown
     */
    ProducerRecord<byte[], byte[]> dueGrant(long copyCompleteAsOfMs) {
        long now = System.currentTimeMillis();
        long interval = Math.max(settings.heartbeat().toMillis(), settings.homeLease().toMillis() / 4);
        if (lease == null || now - lastGrantMs < interval || copyCompleteAsOfMs < 0 || now - copyCompleteAsOfMs > interval) {
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
