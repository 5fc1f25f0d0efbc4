package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimeToLiveTest {

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
}
