package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HybridClockTest {

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
}
