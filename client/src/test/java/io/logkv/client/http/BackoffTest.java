package io.logkv.client.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Waits between attempts are spread at random, and a node's Retry-After is never shortened. */
class BackoffTest {

    @Test
    void theClientsOwnPauseIsSpreadOverItsUpperHalf() {
        Set<Duration> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Duration wait = Backoff.next(Duration.ofMillis(400), null);
            assertThat(wait).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
            seen.add(wait);
        }
        assertThat(seen).as("not one wait for every client").hasSizeGreaterThan(100);
        assertThat(Backoff.least(Duration.ofMillis(400), null)).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void aRetryAfterLongerThanThePauseIsWaitedAndLengthenedByAtMostATenthOrASecond() {
        for (int i = 0; i < 1000; i++) {
            assertThat(Backoff.next(Duration.ofMillis(50), Duration.ofSeconds(3))).isBetween(Duration.ofSeconds(3), Duration.ofMillis(3300));
            assertThat(Backoff.next(Duration.ofMillis(50), Duration.ofSeconds(60))).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(61));
        }
        assertThat(Backoff.least(Duration.ofMillis(50), Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
        assertThat(Backoff.next(Duration.ofSeconds(1), Duration.ofMillis(10))).as("asked less than the pause: the pause")
                .isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
    }
}
