package io.logkv.writer;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows of the namespace registry: each namespace's settings, the home leases other regions granted
 * on them ({@link HomeLease}), and how fresh that knowledge is. The catalog's thread applies the registry's records
 * to it in log order; any thread reads it.
 *
 * <p>A lease may be read before its namespace (the mirror writes it whenever it grants), so it is kept whether the
 * namespace is known or not; the namespace's tombstone drops it. Listeners hear of namespaces only, never of leases.
 */
final class NamespaceRegistryView {

    private static final Logger log = LoggerFactory.getLogger(NamespaceRegistryView.class);

    private final Map<NamespaceName, NamespaceSettings> namespaces = new ConcurrentHashMap<>();
    /** Each namespace's leases by granting region; every inner map is immutable, replaced whole on a change. */
    private final Map<NamespaceName, Map<RegionName, HomeLease>> leases = new ConcurrentHashMap<>();
    private final List<NamespaceCatalog.Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile OptionalLong freshAsOfNanos = OptionalLong.empty();

    void listen(NamespaceCatalog.Listener listener) {
        listeners.add(listener);
    }

    Optional<NamespaceSettings> settings(NamespaceName namespace) {
        return Optional.ofNullable(namespaces.get(namespace));
    }

    Map<NamespaceName, NamespaceSettings> namespaces() {
        return namespaces;
    }

    /** The leases on {@code namespace} by granting region; empty when no region granted one. */
    Map<RegionName, HomeLease> leases(NamespaceName namespace) {
        return leases.getOrDefault(namespace, Map.of());
    }

    /**
     * When (a {@code NodeTime.nanoTime()}) the catalog last asked for the registry's end, of an end it has since
     * read up to: everything committed to the registry before that moment is in this view. Empty until the first.
     */
    OptionalLong freshAsOfNanos() {
        return freshAsOfNanos;
    }

    /** The view holds everything committed to the registry before {@code askedAtNanos} (catalog thread only). */
    void freshAsOf(long askedAtNanos) {
        freshAsOfNanos = OptionalLong.of(askedAtNanos);
    }

    /** Applies the registry's next record (catalog thread only). */
    void apply(ConsumerRecord<byte[], byte[]> record) {
        String key = NamespaceRegistryTopic.name(record);
        if (HomeLease.isRegistryKey(key)) {
            // Before the name check: a lease's key is no legal namespace name, by design.
            applyLease(key, record);
            return;
        }
        if (!NamespaceName.isLegal(key)) {
            log.warn("event=registry_record_skipped offset={} reason=illegal_name", record.offset());
            return;
        }
        NamespaceName namespace = new NamespaceName(key);
        NamespaceSettings settings = null;
        if (record.value() != null) {
            try {
                settings = NamespaceSettings.decode(record.value());
            } catch (IllegalArgumentException e) {
                log.warn("event=registry_record_skipped offset={} reason={}", record.offset(), e.getMessage());
                return;
            }
            namespaces.put(namespace, settings);
        } else {
            // Its leases stay: a namespace deleted and created again in a cut-off home must not write unbound.
            namespaces.remove(namespace);
        }
        for (NamespaceCatalog.Listener listener : listeners) {
            try {
                listener.changed(namespace, settings);
            } catch (RuntimeException e) {
                log.error("event=namespace_listener_failed namespace={}", namespace, e);
            }
        }
    }

    private void applyLease(String key, ConsumerRecord<byte[], byte[]> record) {
        Optional<HomeLease.Holder> holder = HomeLease.holderOf(key);
        if (holder.isEmpty()) {
            log.warn("event=registry_record_skipped offset={} reason=malformed_home_lease_key", record.offset());
            return;
        }
        NamespaceName namespace = holder.get().namespace();
        RegionName grantor = holder.get().grantor();
        if (record.value() == null) {
            if (change(namespace, grantor, null) != null) {
                log.info("event=home_lease_dropped namespace={} grantor={}", namespace, grantor);
            }
            return;
        }
        HomeLease lease;
        try {
            lease = HomeLease.parse(record.value());
        } catch (IllegalArgumentException e) {
            // A lease this node cannot read (a newer format, say) still binds the namespace: as one not granted.
            log.warn("event=home_lease_unreadable offset={} namespace={} grantor={} effect=writes_refused reason=\"{}\"", record.offset(),
                    namespace, grantor, e.getMessage());
            lease = HomeLease.required(Long.MAX_VALUE / 4, 0);
        }
        HomeLease before = change(namespace, grantor, lease);
        // Renewals come every few seconds: only a lease's first record and its revocation are worth a line.
        if (before == null) {
            log.info("event=home_lease_required namespace={} grantor={} lease_ms={} until_ms={}", namespace, grantor, lease.leaseMs(),
                    lease.untilMs());
        } else if (lease.revoked() && !before.revoked()) {
            log.warn("event=home_lease_revoked namespace={} grantor={} until_ms={}", namespace, grantor, lease.untilMs());
        } else {
            log.debug("event=home_lease_renewed namespace={} grantor={} until_ms={}", namespace, grantor, lease.untilMs());
        }
    }

    /** Sets (or with null removes) one lease; returns the one it replaced. */
    private HomeLease change(NamespaceName namespace, RegionName grantor, HomeLease lease) {
        HomeLease[] before = new HomeLease[1];
        leases.compute(namespace, (ns, current) -> {
            Map<RegionName, HomeLease> next = new HashMap<>(current == null ? Map.of() : current);
            before[0] = lease == null ? next.remove(grantor) : next.put(grantor, lease);
            return next.isEmpty() ? null : Map.copyOf(next);
        });
        return before[0];
    }
}
