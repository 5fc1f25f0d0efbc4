package io.logkv.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A home region's lease on taking a namespace's writes, granted by a region that holds the namespace's copy
 * (docs/adr/0020-promotion-of-another-region.md, "Home leases"). The mirror from the home into the copy grants
 * it: it commits the grant in the copy's region first (its positions topic, in the mirror's own transaction,
 * under {@link #grantKey}), then writes it into the home's namespace registry (under {@link #registryKey}).
 * The home's nodes acknowledge a write only while every lease they know of holds ({@link #holdsAt}); a forced
 * promotion of the copy first revokes the grants (fencing the mirror) and then waits until the last one has
 * run out ({@link #runsOutBy}). So the two regions never both take writes, whatever their link does, as long as
 * their clocks differ by less than {@link #maxClockSkewMs}.
 *
 * @param untilMs        when the lease runs out, by the granting mirror's clock, epoch ms; 0: not granted yet
 *                       (the home must not write until a grant comes)
 * @param leaseMs        how long each grant lasts from the moment the mirror read its clock
 * @param maxClockSkewMs how far the clocks of the home's nodes, the mirror and the promotion may differ
 * @param revoked        whether a promotion of the copy has revoked the grants: no mirror grants again
 */
public record HomeLease(long untilMs, long leaseMs, long maxClockSkewMs, boolean revoked) {

    /** The format of the value this version writes. */
    public static final byte FORMAT = 1;

    /** The prefix of lease keys in the namespace registry: not a legal namespace name, so never one's key. */
    public static final String REGISTRY_KEY_PREFIX = "~home-lease/";

    private static final String GRANT_KEY_SUFFIX = "/~home-lease";
    private static final int VALUE_BYTES = 1 + 3 * Long.BYTES + 1;

    public HomeLease {
        if (untilMs < 0 || leaseMs <= 0 || maxClockSkewMs < 0) {
            throw new IllegalArgumentException("a home lease needs a positive duration and no negative times");
        }
    }

    /** The first record of a lease: it binds the home before any grant. */
    public static HomeLease required(long leaseMs, long maxClockSkewMs) {
        return new HomeLease(0, leaseMs, maxClockSkewMs, false);
    }

    /**
     * The lease granted again, until {@code nowMs + leaseMs} ({@code nowMs} read before the grant is committed), and
     * never until earlier than before: a shorter lease, or a clock stepped back, must not pull an end in that a node
     * may still hold.
     */
    public HomeLease grantedAt(long nowMs) {
        return new HomeLease(Math.max(untilMs, nowMs + leaseMs), leaseMs, maxClockSkewMs, revoked);
    }

    /** The same lease's end under other terms (a mirror started with another lease or skew). */
    public HomeLease withTerms(long leaseMs, long maxClockSkewMs) {
        return new HomeLease(untilMs, leaseMs, maxClockSkewMs, revoked);
    }

    /** The same lease, revoked by a promotion: its last grant still runs out when it would have. */
    public HomeLease revoke() {
        return new HomeLease(untilMs, leaseMs, maxClockSkewMs, true);
    }

    /** Whether the home may acknowledge a write at {@code nowMs} by its own clock: before the lease ends, less the skew. */
    public boolean holdsAt(long nowMs) {
        return !revoked && nowMs < untilMs - maxClockSkewMs;
    }

    /**
     * The time, by a promoting region's clock, after which no home's node holds this lease any more: the last
     * grant's end plus the skew, and at least a whole lease after {@code revokedAtMs} (a grant the home's nodes
     * know of was committed before the revocation, so it runs out by then; and a node that had not yet read the
     * requirement has been stale for longer than it may be).
     */
    public long runsOutBy(long revokedAtMs) {
        return Math.max(untilMs, revokedAtMs + leaseMs) + maxClockSkewMs;
    }

    /** The value: format (1 byte), until, lease, skew (8 bytes each), revoked (1 byte). */
    public byte[] value() {
        return ByteBuffer.allocate(VALUE_BYTES).put(FORMAT).putLong(untilMs).putLong(leaseMs).putLong(maxClockSkewMs)
                .put((byte) (revoked ? 1 : 0)).array();
    }

    /**
     * Reads a lease's value.
     *
     * @throws IllegalArgumentException when it is not one this format writes
     */
    public static HomeLease parse(byte[] value) {
        if (value == null || value.length != VALUE_BYTES || value[0] != FORMAT) {
            throw new IllegalArgumentException("not a home lease of format " + FORMAT);
        }
        ByteBuffer in = ByteBuffer.wrap(value, 1, value.length - 1);
        long until = in.getLong();
        long lease = in.getLong();
        long skew = in.getLong();
        byte revoked = in.get();
        if (revoked != 0 && revoked != 1) {
            throw new IllegalArgumentException("not a home lease of format " + FORMAT + ": revoked is " + revoked);
        }
        return new HomeLease(until, lease, skew, revoked == 1);
    }

    /** Where a lease is in the home's namespace registry: {@code ~home-lease/<namespace>/<granting region>}. */
    public static byte[] registryKey(NamespaceName namespace, RegionName grantor) {
        return (REGISTRY_KEY_PREFIX + namespace.value() + "/" + grantor.value()).getBytes(StandardCharsets.UTF_8);
    }

    /** A lease's place in the home's registry: the namespace and the region that granted it. */
    public record Holder(NamespaceName namespace, RegionName grantor) {
    }

    /** The namespace and granting region a registry key names; empty when it is no lease's key. */
    public static Optional<Holder> holderOf(String registryKey) {
        if (registryKey == null || !registryKey.startsWith(REGISTRY_KEY_PREFIX)) {
            return Optional.empty();
        }
        String rest = registryKey.substring(REGISTRY_KEY_PREFIX.length());
        int slash = rest.indexOf('/');
        if (slash < 0 || !NamespaceName.isLegal(rest.substring(0, slash))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Holder(new NamespaceName(rest.substring(0, slash)), new RegionName(rest.substring(slash + 1))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Whether a namespace registry key is a lease's rather than a namespace's. */
    public static boolean isRegistryKey(String registryKey) {
        return registryKey != null && registryKey.startsWith(REGISTRY_KEY_PREFIX);
    }

    /** Where the copy's region keeps the grants of {@code topic}'s mirror from {@code home}: {@code <home>/<topic>/~home-lease}. */
    public static byte[] grantKey(RegionName home, String topic) {
        return (home.value() + "/" + topic + GRANT_KEY_SUFFIX).getBytes(StandardCharsets.UTF_8);
    }

    /** The home region a grant key of {@code topic} names; empty when the key is no grant key of that topic. */
    public static Optional<RegionName> grantSource(byte[] key, String topic) {
        if (!isGrantKey(key)) {
            return Optional.empty();
        }
        String text = new String(key, StandardCharsets.UTF_8);
        String suffix = "/" + topic + GRANT_KEY_SUFFIX;
        if (!text.endsWith(suffix) || text.length() == suffix.length()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RegionName(text.substring(0, text.length() - suffix.length())));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Whether a key of the mirror positions topic is a lease grant's rather than a position's. */
    public static boolean isGrantKey(byte[] key) {
        return key != null && new String(key, StandardCharsets.UTF_8).endsWith(GRANT_KEY_SUFFIX);
    }
}
