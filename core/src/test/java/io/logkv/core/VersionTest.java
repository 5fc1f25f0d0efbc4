package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionTest {

    @Test
    void versionsRoundTripThroughTheirText() {
        Version v = new Version(-2L, 0xfedcba98);
        assertThat(Version.parse(v.text())).isEqualTo(v);
        assertThat(v.text()).hasSize(24);
        for (String bad : new String[] {"", "abc", "zz".repeat(12), "\"" + v.text() + "\""}) {
            assertThatThrownBy(() -> Version.parse(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
