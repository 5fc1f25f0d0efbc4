package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyRulesTest {

    private final KeyRules keys = new KeyRules(1024);

    @Test
    void keysAreMeasuredInUtf8Bytes() {
        assertThat(keys.encode("a/b c")).hasSize(5);
        assertThat(keys.encode("é".repeat(512))).hasSize(1024);
        assertThatThrownBy(() -> keys.encode("é".repeat(513)))
                .isInstanceOfSatisfying(KeyRules.IllegalKeyException.class, e -> assertThat(e.tooLong()).isTrue());
        assertThatThrownBy(() -> keys.encode("")).isInstanceOf(KeyRules.IllegalKeyException.class);
        assertThatThrownBy(() -> keys.encode("\uD800 lone surrogate")).isInstanceOf(KeyRules.IllegalKeyException.class);
    }

    @Test
    void keyBytesAreCheckedWithoutReencoding() {
        byte[] key = "é".repeat(512).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(keys.check(key)).isSameAs(key);
        assertThatThrownBy(() -> keys.check(new byte[1025]))
                .isInstanceOfSatisfying(KeyRules.IllegalKeyException.class, e -> assertThat(e.tooLong()).isTrue());
        assertThatThrownBy(() -> keys.check(new byte[0])).isInstanceOf(KeyRules.IllegalKeyException.class);
    }
}
