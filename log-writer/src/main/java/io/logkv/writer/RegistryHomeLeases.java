package io.logkv.writer;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import io.logkv.core.RegionName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The home leases as this node's view of the registry holds them. Two rules, both needed:
 * <ol>
 * <li>The view is fresh: it holds everything committed to the registry at most {@code maxViewAge} ago. A lease is
 * required by a record in the registry, so a node with an older view may have missed a requirement; every grant
 * lasts longer than {@code maxViewAge}, so a requirement is seen before its promotion may end. This holds for every
 * namespace, with leases or not.</li>
 * <li>Every lease the view holds on the namespace holds now, by this node's wall clock less the lease's clock skew.</li>
 * </ol>
 */
final class RegistryHomeLeases implements HomeLeases {

    private static final Logger log = LoggerFactory.getLogger(RegistryHomeLeases.class);

    private final NamespaceRegistryView view;
    private final NodeTime time;
    private final long maxViewAgeNanos;
    /** The leases found too short for the view's maximum age, each logged once. */
    private final Set<HomeLease.Holder> tooShortLogged = ConcurrentHashMap.newKeySet();

    RegistryHomeLeases(NamespaceRegistryView view, NodeTime time, Duration maxViewAge) {
        if (maxViewAge.isNegative() || maxViewAge.isZero()) {
            throw new IllegalArgumentException("the namespace registry's view needs a positive maximum age");
        }
        this.view = view;
        this.time = time;
        this.maxViewAgeNanos = maxViewAge.toNanos();
    }

    @Override
    public Optional<String> unknown() {
        OptionalLong freshAsOf = view.freshAsOfNanos();
        if (freshAsOf.isEmpty()) {
            return Optional.of("this node has not yet read the namespace registry to its end, so it cannot know the home leases");
        }
        long ageNanos = time.nanoTime() - freshAsOf.getAsLong();
        if (ageNanos > maxViewAgeNanos) {
            return Optional.of("this node's view of the namespace registry is " + TimeUnit.NANOSECONDS.toMillis(ageNanos)
                    + " ms old, more than the " + TimeUnit.NANOSECONDS.toMillis(maxViewAgeNanos) + " ms allowed: a home lease"
                    + " required since then would go unseen");
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> refusal(NamespaceName namespace) {
        Optional<String> unknown = unknown();
        if (unknown.isPresent()) {
            return unknown;
        }
        Map<RegionName, HomeLease> leases = view.leases(namespace);
        if (leases.isEmpty()) {
            return Optional.empty();
        }
        long nowMs = time.nowMs();
        for (Map.Entry<RegionName, HomeLease> entry : leases.entrySet()) {
            HomeLease lease = entry.getValue();
            if (TimeUnit.MILLISECONDS.toNanos(lease.leaseMs()) <= maxViewAgeNanos) {
                return Optional.of(tooShort(namespace, entry.getKey(), lease));
            }
            if (!lease.holdsAt(nowMs)) {
                return Optional.of(lapsed(namespace, entry.getKey(), lease, nowMs));
            }
        }
        return Optional.empty();
    }

    private String tooShort(NamespaceName namespace, RegionName grantor, HomeLease lease) {
        String reason = "region " + grantor + " grants home leases on namespace " + namespace + " of " + lease.leaseMs() + " ms, not"
                + " longer than the " + TimeUnit.NANOSECONDS.toMillis(maxViewAgeNanos) + " ms this node's registry view may be old"
                + " (logkv.region.lease-view-staleness): a promotion could take writes before this node saw its lease";
        if (tooShortLogged.add(new HomeLease.Holder(namespace, grantor))) {
            log.error("event=home_lease_too_short namespace={} grantor={} lease_ms={} max_view_age_ms={} effect=writes_refused",
                    namespace, grantor, lease.leaseMs(), TimeUnit.NANOSECONDS.toMillis(maxViewAgeNanos));
        }
        return reason;
    }

    private static String lapsed(NamespaceName namespace, RegionName grantor, HomeLease lease, long nowMs) {
        String which = "this region's home lease on namespace " + namespace + " from region " + grantor;
        if (lease.revoked()) {
            return which + " was revoked (" + grantor + " is being promoted, or was promoted, to take the namespace's writes)";
        }
        if (lease.untilMs() == 0) {
            return which + " is required and not granted yet (the mirror to " + grantor + " has not granted it)";
        }
        return which + " ran out " + (nowMs - lease.untilMs() + lease.maxClockSkewMs()) + " ms ago, counting "
                + lease.maxClockSkewMs() + " ms of clock skew (the mirror to " + grantor + " has not renewed it; " + grantor
                + " may have been promoted)";
    }
}
