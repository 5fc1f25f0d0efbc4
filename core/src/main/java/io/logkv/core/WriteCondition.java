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

    /** Whether the condition holds when the key's current version is {@code current} (null when absent). */
    boolean holds(Version current);

    /** Holds when the key's current version is exactly {@code expected}. */
    static WriteCondition matching(Version expected) {
        return new Matching(expected);
    }

    /** The unconditional write. */
    record Always() implements WriteCondition {
        @Override
        public boolean holds(Version current) {
            return true;
        }
    }

    /** {@code If-None-Match: *}. */
    record Absent() implements WriteCondition {
        @Override
        public boolean holds(Version current) {
            return current == null;
        }
    }

    /** {@code If-Match: *}. */
    record Present() implements WriteCondition {
        @Override
        public boolean holds(Version current) {
            return current != null;
        }
    }

    /**
     * {@code If-Match: "<version>"}.
     *
     * @param expected the version the key must have
     */
    record Matching(Version expected) implements WriteCondition {
        @Override
        public boolean holds(Version current) {
            return expected.equals(current);
        }
    }
}
