package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SignedTokensTest {

    private static final byte[] OLD_KEY = "an old key of at least thirty-two bytes".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NEW_KEY = "the new key, also thirty-two bytes or more".getBytes(StandardCharsets.UTF_8);
    private final NamespaceName orders = new NamespaceName("orders");
    private final ConsistencyToken token = ConsistencyToken.of(orders, new LogPosition(3, 1_234_567L))
            .merge(ConsistencyToken.of(orders, new LogPosition(0, 9)));

    @Test
    void aSignedTokenVerifiesToTheSamePositions() {
        SignedTokens tokens = new SignedTokens("k1", Map.of("k1", OLD_KEY));

        String signed = tokens.sign(token);

        assertThat(signed).matches("[A-Za-z0-9_-]+");
        assertThat(tokens.verify(signed)).isEqualTo(token);
        assertThat(ConsistencyToken.decode(signed)).as("a client reads what a signed token claims").isEqualTo(token);
    }

    @Test
    void everyAlteredByteIsRefused() {
        SignedTokens tokens = new SignedTokens("k1", Map.of("k1", OLD_KEY));
        byte[] signed = Base64.getUrlDecoder().decode(tokens.sign(token));
        for (int i = 0; i < signed.length; i++) {
            byte[] altered = signed.clone();
            altered[i] ^= 0x01;
            String text = Base64.getUrlEncoder().withoutPadding().encodeToString(altered);
            assertThatThrownBy(() -> tokens.verify(text)).as("byte " + i).isInstanceOf(MalformedTokenException.class);
        }
    }

    @Test
    void aTokenSignedWithAnotherKeyUnderTheSameIdIsForged() {
        String forged = new SignedTokens("k1", Map.of("k1", NEW_KEY)).sign(token);

        assertThatThrownBy(() -> new SignedTokens("k1", Map.of("k1", OLD_KEY)).verify(forged))
                .isInstanceOf(MalformedTokenException.class).hasMessageContaining("forged or altered");
    }

    @Test
    void unsignedTokensAreRefused() {
        assertThatThrownBy(() -> new SignedTokens("k1", Map.of("k1", OLD_KEY)).verify(token.encode()))
                .isInstanceOf(MalformedTokenException.class).hasMessageContaining("only signed tokens");
    }

    @Test
    void aPreviousKeyVerifiesWhileConfiguredAndNotAfter() {
        String byOldKey = new SignedTokens("k1", Map.of("k1", OLD_KEY)).sign(token);
        Map<String, byte[]> both = new LinkedHashMap<>();
        both.put("k1", OLD_KEY);
        both.put("k2", NEW_KEY);
        SignedTokens rotating = new SignedTokens("k2", both);

        assertThat(rotating.verify(byOldKey)).isEqualTo(token);
        assertThat(rotating.verify(rotating.sign(token))).isEqualTo(token);
        assertThatThrownBy(() -> new SignedTokens("k2", Map.of("k2", NEW_KEY)).verify(byOldKey))
                .isInstanceOf(MalformedTokenException.class).hasMessageContaining("rotated out");
    }

    @Test
    void keysAndIdsAreChecked() {
        assertThatThrownBy(() -> new SignedTokens("k1", Map.of("k1", new byte[31]))).hasMessageContaining("shorter than 32");
        assertThatThrownBy(() -> new SignedTokens("k 1", Map.of("k 1", OLD_KEY))).hasMessageContaining("key id");
        assertThatThrownBy(() -> new SignedTokens("k2", Map.of("k1", OLD_KEY))).hasMessageContaining("not among the keys");
    }

    @Test
    void coversAndIngestOnlyCompareAndFilterPositions() {
        ConsistencyToken ingest = ConsistencyToken.ofIngest(orders, new LogPosition(1, 40));
        ConsistencyToken both = token.merge(ingest);

        assertThat(both.covers(token)).isTrue();
        assertThat(token.covers(both)).isFalse();
        assertThat(both.ingestOnly(orders)).isEqualTo(ingest);
        assertThat(ingest.ingestOnly(orders)).isSameAs(ingest);
        assertThat(token.ingestOnly(orders).isEmpty()).isTrue();
    }
}
