package io.logkv.query.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.NamespaceName;
import io.logkv.query.config.HotKeyProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HotKeysTest {

    private static final NamespaceName ORDERS = new NamespaceName("orders");
    private static final NamespaceName USERS = new NamespaceName("users");

    private final AtomicLong nanos = new AtomicLong();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private HotKeys hotKeys(long minRate, int tracked, int reported) {
        return new HotKeys(new HotKeyProperties(true, Duration.ofSeconds(10), minRate, tracked, reported), meters, nanos::get, () -> 0L);
    }

    private static byte[] key(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void keysAtOrAboveTheRateAreReportedHottestFirstOnceTheWindowEnds() {
        HotKeys hot = hotKeys(10, 1000, 20);
        for (int i = 0; i < 300; i++) {
            hot.read(ORDERS, key("o-1"));
        }
        for (int i = 0; i < 100; i++) {
            hot.read(USERS, key("u-1"));
            hot.write(USERS, key("u-1"));
        }
        for (int i = 0; i < 99; i++) {
            hot.read(ORDERS, key("o-2")); // 9.9 a second: below the rate
        }
        assertThat(hot.report().keys()).as("nothing before the first window ends").isEmpty();

        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        HotKeys.Report report = hot.report();
        assertThat(report.keys()).extracting(HotKeys.HotKey::namespace, HotKeys.HotKey::key)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("orders", "o-1"), org.assertj.core.groups.Tuple.tuple("users", "u-1"));
        assertThat(report.keys().get(0).readsPerSecond()).isEqualTo(30.0);
        assertThat(report.keys().get(1).readsPerSecond()).isEqualTo(10.0);
        assertThat(report.keys().get(1).writesPerSecond()).isEqualTo(10.0);
        assertThat(meters.get("logkv.keys.hot").gauge().value()).isEqualTo(2);
    }

    @Test
    void eachWindowCountsAfreshAndTheReportHoldsTheLastWholeOne() {
        HotKeys hot = hotKeys(10, 1000, 20);
        for (int i = 0; i < 200; i++) {
            hot.read(ORDERS, key("o-1"));
        }
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(hot.report().keys()).hasSize(1);
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(hot.report().keys()).as("mid-window: the last whole window's report").hasSize(1);
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(hot.report().keys()).as("a window without reads of it").isEmpty();
    }

    @Test
    void theReportIsBoundedAndAFloodOfColdKeysDoesNotHideAHotOne() {
        HotKeys hot = hotKeys(10, 100, 3);
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < 10; i++) {
                for (int j = 0; j < 3; j++) {
                    hot.read(ORDERS, key("hot-" + i)); // 150 reads in the window: 15 a second
                }
            }
            for (int i = 0; i < 200; i++) {
                hot.read(ORDERS, key("cold-" + round + "-" + i)); // 10,000 distinct keys, read once each
            }
        }
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(hot.report().keys()).hasSize(3).allSatisfy(k -> assertThat(k.key()).startsWith("hot-"));
    }

    @Test
    void readsOfColdKeysStayOutOfTheCountingCache() {
        HotKeys hot = hotKeys(10, 100_000, 20); // reported from 100 reads in the window; cached from 7
        for (int i = 0; i < 10_000; i++) {
            hot.read(ORDERS, key("cold-" + i));
        }
        assertThat(hot.tracked()).as("10,000 keys read once each").isLessThan(10);

        HotKeys fresh = hotKeys(10, 100_000, 20);
        for (int i = 0; i < 6; i++) {
            fresh.read(ORDERS, key("warm"));
        }
        assertThat(fresh.tracked()).isZero();
        fresh.read(ORDERS, key("warm"));
        assertThat(fresh.tracked()).as("the seventh read brings the key in").isEqualTo(1);
    }

    @Test
    void disabledCountsNothing() {
        HotKeys hot = new HotKeys(new HotKeyProperties(false, Duration.ofSeconds(10), 1, 10, 10), meters, nanos::get, () -> 0L);
        for (int i = 0; i < 100; i++) {
            hot.read(ORDERS, key("o-1"));
        }
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(hot.report().keys()).isEmpty();
    }
}
