package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Conditions against the value a key holds: an expired value counts as absent, except for an expiry tombstone. */
class WriteConditionTest {

    private final Version v1 = new Version(100, 1);
    private final Version v2 = new Version(200, 1);

    @Test
    void clientConditionsTreatAnExpiredValueAsAbsent() {
        assertThat(WriteCondition.ABSENT.holds(v1, true)).isTrue();
        assertThat(WriteCondition.ABSENT.holds(v1, false)).isFalse();
        assertThat(WriteCondition.PRESENT.holds(v1, true)).isFalse();
        assertThat(WriteCondition.matching(v1).holds(v1, true)).isFalse();
        assertThat(WriteCondition.matching(v1).holds(v1, false)).isTrue();
        assertThat(WriteCondition.NONE.holds(null, false)).isTrue();
    }

    @Test
    void anExpiryTombstoneHoldsOnlyForTheExpiredValueItNames() {
        WriteCondition expiry = WriteCondition.expired(v1, 5_000);
        assertThat(expiry.holds(v1, true)).isTrue();
        assertThat(expiry.holds(v1, false)).as("not yet expired at the owner's clock").isFalse();
        assertThat(expiry.holds(v2, false)).as("a rewrite raced the expiry").isFalse();
        assertThat(expiry.holds(v2, true)).as("a rewrite that expired too is its own expiry's business").isFalse();
        assertThat(expiry.holds(null, false)).as("already deleted").isFalse();
    }

    @Test
    void theExpiryOfAnEnvelopeReadsWithoutDecodingTheValue() {
        byte[] expiring = new RecordEnvelope(v1, 1_234_567L, "text/plain", new byte[] {1, 2}).encode();
        byte[] lasting = new RecordEnvelope(v1, RecordEnvelope.NO_EXPIRY, "text/plain", new byte[] {1, 2}).encode();
        assertThat(RecordEnvelope.expiresAtOf(expiring)).isEqualTo(1_234_567L);
        assertThat(RecordEnvelope.expiresAtOf(lasting)).isEqualTo(RecordEnvelope.NO_EXPIRY);
    }
}
