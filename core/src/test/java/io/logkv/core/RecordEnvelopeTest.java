package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RecordEnvelopeTest {

    private final Version version = new Version(0x0190_0000_0000_0001L, 7);

    @Test
    void roundTripsEveryField() {
        RecordEnvelope envelope = new RecordEnvelope(version, 1_700_000_000_000L, "text/plain; charset=utf-8",
                "hello".getBytes(StandardCharsets.UTF_8));

        RecordEnvelope decoded = RecordEnvelope.decode(envelope.encode());

        assertThat(decoded.version()).isEqualTo(version);
        assertThat(decoded.expiresAtMs()).isEqualTo(1_700_000_000_000L);
        assertThat(decoded.contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(decoded.value()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void contentTypesRoundTripWhetherCommonOrNotAndOnlyAsciiIsTaken() {
        for (String type : new String[] {"application/octet-stream", "text/plain", "application/jsonx", "application/jso", "", "x/y"}) {
            RecordEnvelope decoded = RecordEnvelope.decode(new RecordEnvelope(version, 0, type, new byte[] {1}).encode());
            assertThat(decoded.contentType()).isEqualTo(type);
            assertThat(decoded.value()).containsExactly(1);
        }
        assertThatThrownBy(() -> new RecordEnvelope(version, 0, "text/plain; charset=\u00fc", new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecordEnvelope(version, 0, "x".repeat(256), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void valueWithoutExpiryCostsNoExpiryBytes() {
        byte[] withExpiry = new RecordEnvelope(version, 5, "a", new byte[0]).encode();
        byte[] without = new RecordEnvelope(version, RecordEnvelope.NO_EXPIRY, "a", new byte[0]).encode();

        assertThat(withExpiry.length - without.length).isEqualTo(Long.BYTES);
        assertThat(RecordEnvelope.decode(without).expiresAtMs()).isEqualTo(RecordEnvelope.NO_EXPIRY);
    }

    @Test
    void emptyValueAndBinaryValueSurvive() {
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        assertThat(RecordEnvelope.decode(new RecordEnvelope(version, 0, "", binary).encode()).value()).isEqualTo(binary);
        assertThat(RecordEnvelope.decode(new RecordEnvelope(version, 0, "", new byte[0]).encode()).value()).isEmpty();
    }

    @Test
    void versionCanBeReadWithoutDecodingTheValue() {
        byte[] bytes = new RecordEnvelope(version, 0, "x", new byte[1000]).encode();
        assertThat(RecordEnvelope.versionOf(bytes)).isEqualTo(version);
    }

    @Test
    void rejectsWhatIsNotAnEnvelope() {
        byte[] good = new RecordEnvelope(version, 9, "text/plain", new byte[3]).encode();

        assertThatThrownBy(() -> RecordEnvelope.decode("plain text value".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedEnvelopeException.class);
        assertThatThrownBy(() -> RecordEnvelope.decode(new byte[0])).isInstanceOf(MalformedEnvelopeException.class);
        assertThatThrownBy(() -> RecordEnvelope.decode(Arrays.copyOf(good, 20))).isInstanceOf(MalformedEnvelopeException.class);
        byte[] futureFormat = good.clone();
        futureFormat[1] = 9;
        assertThatThrownBy(() -> RecordEnvelope.decode(futureFormat)).hasMessageContaining("format");
    }

    @Test
    void rejectsContentTypesItCannotHold() {
        assertThatThrownBy(() -> new RecordEnvelope(version, 0, "x".repeat(256), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecordEnvelope(version, 0, "text/plain; name=ü", new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void expiryIsInclusiveOfTheInstant() {
        RecordEnvelope envelope = new RecordEnvelope(version, 1000, "", new byte[0]);
        assertThat(envelope.isExpiredAt(999)).isFalse();
        assertThat(envelope.isExpiredAt(1000)).isTrue();
        assertThat(new RecordEnvelope(version, 0, "", new byte[0]).isExpiredAt(Long.MAX_VALUE)).isFalse();
    }
}
