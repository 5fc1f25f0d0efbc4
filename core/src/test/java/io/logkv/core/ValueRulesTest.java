package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValueRulesTest {

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

    @Test
    void ttlAcceptsTheFormsOfTheApi() {
        assertThat(TimeToLive.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(TimeToLive.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(TimeToLive.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(TimeToLive.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(TimeToLive.parse("30")).isEqualTo(Duration.ofSeconds(30));
        for (String bad : new String[] {"", "0", "-5", "5w", "1.5h", "s", "999999999999d", "ten"}) {
            assertThatThrownBy(() -> TimeToLive.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void namespaceNamesAreSafeInTopicNames() {
        assertThat(new NamespaceName("team-a_orders").truthTopic()).isEqualTo("logkv.truth.team-a_orders");
        for (String bad : new String[] {"", "a.b", "a b", "ü", "x".repeat(101), "../x"}) {
            assertThat(NamespaceName.isLegal(bad)).as(bad).isFalse();
        }
    }

    @Test
    void namespaceSettingsRoundTripAndIgnoreUnknownFields() {
        NamespaceSettings settings = new NamespaceSettings(12, Duration.ofHours(1));
        assertThat(NamespaceSettings.decode(settings.encode())).isEqualTo(settings);
        assertThat(NamespaceSettings.decode("partitions=3\nfutureField=x\n".getBytes()))
                .isEqualTo(new NamespaceSettings(3, Duration.ZERO));
    }

    @Test
    void hybridClockNeverRepeatsOrGoesBack() {
        long[] wall = {1000};
        HybridClock clock = new HybridClock(() -> wall[0]);
        long a = clock.next();
        wall[0] = 500;
        long b = clock.next();
        clock.observe(b + 100);
        long c = clock.next();
        assertThat(b).isGreaterThan(a);
        assertThat(c).isGreaterThan(b + 100);
        assertThat(new Version(a, 1).writeTimeMillis()).isEqualTo(1000);
    }

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
