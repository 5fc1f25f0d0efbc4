package io.logkv.core;

/**
 * The precondition of a conditional write, checked by the partition's single owner against the key's
 * current version: {@code If-Match} (compare-and-set) or {@code If-None-Match: *} (put-if-absent).
 */
public sealed interface WriteCondition {

    /** Always holds. */
    WriteCondition NONE = new Always();

    /** Holds when the key is absent (or expired). */
    WriteCondition ABSENT = new Absent();

    /** Holds when the key is present ({@code If-Match: *}). */
    WriteCondition PRESENT = new Present();

    /**
     * Whether the condition holds for the key's stored value.
     *
     * @param stored  the version of the value the key holds, expired or not; null when the key is absent
     * @param expired whether that value has expired (at the owner's clock)
     */
    boolean holds(Version stored, boolean expired);

    /** Whether the condition holds for a key whose live (present, unexpired) version is {@code live} (null when none). */
    default boolean holds(Version live) {
        return holds(live, false);
    }

    /** Holds when the key's current version is exactly {@code expected}. */
    static WriteCondition matching(Version expected) {
        return new Matching(expected);
    }

    /**
     * The condition of an expiry tombstone: the key still holds exactly the value of version {@code expected},
     * and that value has expired. A rewrite that races the expiry changes the version, so it wins.
     */
    static WriteCondition expired(Version expected, long expiresAtMs) {
        return new Expired(expected, expiresAtMs);
    }

    /** The unconditional write. */
    record Always() implements WriteCondition {
        @Override
        public boolean holds(Version stored, boolean expired) {
            return true;
        }
    }

    /** {@code If-None-Match: *}. */
    record Absent() implements WriteCondition {
        @Override
        public boolean holds(Version stored, boolean expired) {
            return stored == null || expired;
        }
    }

    /** {@code If-Match: *}. */
    record Present() implements WriteCondition {
        @Override
        public boolean holds(Version stored, boolean expired) {
            return stored != null && !expired;
        }
    }

    /**
     * {@code If-Match: "<version>"}.
     *
     * @param expected the version the key must have
     */
    record Matching(Version expected) implements WriteCondition {
        @Override
        public boolean holds(Version stored, boolean expired) {
            return !expired && expected.equals(stored);
        }
    }

    /**
     * The condition of an expiry tombstone (never sent by clients).
     *
     * @param expected    the version of the expired value
     * @param expiresAtMs that value's expiry, carried by the tombstone so replicas drop it from their expiry index
     */
    record Expired(Version expected, long expiresAtMs) implements WriteCondition {
        @Override
        public boolean holds(Version stored, boolean expired) {
            return expired && expected.equals(stored);
        }
    }
}
