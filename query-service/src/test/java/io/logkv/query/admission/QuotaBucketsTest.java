package io.logkv.query.admission;

import io.github.bucket4j.TimeMeter;
import io.logkv.query.admission.QuotaBuckets.Operation;
import io.logkv.query.admission.QuotaBuckets.Refusal;
import io.logkv.query.admission.QuotaBuckets.Scope;
import io.logkv.query.config.QuotaProperties;
import io.logkv.query.config.QuotaProperties.Rates;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuotaBucketsTest {

    private static final Rates NONE = new Rates(null, null, null);

    /** A clock the test moves. */
    private final AtomicLong nowNanos = new AtomicLong(1_000_000_000L);
    private final TimeMeter clock = new TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return nowNanos.get();
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    };

    private QuotaBuckets buckets(Rates client, Rates namespace, Map<String, Rates> clients, Map<String, Rates> namespaces, int maxTracked) {
        return new QuotaBuckets(new QuotaProperties(client, namespace, clients, namespaces, maxTracked), clock);
    }

    private static Rates reads(long perSecond) {
        return new Rates(perSecond, null, null);
    }

    private void advance(Duration duration) {
        nowNanos.addAndGet(duration.toNanos());
    }

    @Test
    void withNoRateSetNothingIsLimitedOrKept() {
        QuotaBuckets buckets = buckets(NONE, NONE, Map.of(), Map.of(), 10);
        assertThat(buckets.enabled()).isFalse();
        for (int i = 0; i < 10_000; i++) {
            assertThat(buckets.charge("client-" + i, "ns", Operation.READ, 1)).isNull();
        }
        assertThat(buckets.trackedClients()).isZero();
    }

    @Test
    void aClientOverItsRateIsRefusedWhileAnotherClientPasses() {
        QuotaBuckets buckets = buckets(reads(5), NONE, Map.of(), Map.of(), 100);
        for (int i = 0; i < 5; i++) {
            assertThat(buckets.charge("noisy", "shared", Operation.READ, 1)).isNull();
        }
        Refusal refused = buckets.charge("noisy", "shared", Operation.READ, 1);
        assertThat(refused).isNotNull();
        assertThat(refused.scope()).isEqualTo(Scope.CLIENT);
        assertThat(refused.holder()).isEqualTo("noisy");
        assertThat(refused.perSecond()).isEqualTo(5);
        // One token comes back every 200 ms.
        assertThat(refused.retryAfterNanos()).isBetween(1L, Duration.ofMillis(200).toNanos());
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);
        for (int i = 0; i < 5; i++) {
            assertThat(buckets.charge("quiet", "shared", Operation.READ, 1)).as("the other client's read %d", i).isNull();
        }
    }

    @Test
    void aBucketRefillsAtItsRateAndHoldsAtMostRateTimesBurst() {
        QuotaBuckets buckets = buckets(new Rates(10L, null, Duration.ofSeconds(2)), NONE, Map.of(), Map.of(), 100);
        assertThat(charged(buckets, "c", 100)).isEqualTo(20); // a full bucket: 10/s × 2 s
        advance(Duration.ofMillis(500));
        assertThat(charged(buckets, "c", 100)).isEqualTo(5);
        advance(Duration.ofMinutes(10));
        assertThat(charged(buckets, "c", 100)).isEqualTo(20);
    }

    @Test
    void readsAndWritesHaveRatesOfTheirOwn() {
        QuotaBuckets buckets = buckets(new Rates(1L, 2L, null), NONE, Map.of(), Map.of(), 100);
        assertThat(buckets.charge("c", "ns", Operation.READ, 1)).isNull();
        assertThat(buckets.charge("c", "ns", Operation.READ, 1)).isNotNull();
        assertThat(buckets.charge("c", "ns", Operation.WRITE, 1)).isNull();
        assertThat(buckets.charge("c", "ns", Operation.WRITE, 1)).isNull();
        Refusal refused = buckets.charge("c", "ns", Operation.WRITE, 1);
        assertThat(refused).isNotNull();
        assertThat(refused.operation()).isEqualTo(Operation.WRITE);
    }

    @Test
    void aNamespaceOverItsRateIsRefusedWhileAnotherNamespacePassesAndTheClientKeepsItsTokens() {
        QuotaBuckets buckets = buckets(reads(3), NONE, Map.of(), Map.of("hot", reads(1)), 100);
        assertThat(buckets.charge("c", "hot", Operation.READ, 1)).isNull();
        Refusal refused = buckets.charge("c", "hot", Operation.READ, 1);
        assertThat(refused.scope()).isEqualTo(Scope.NAMESPACE);
        assertThat(refused.holder()).isEqualTo("hot");
        assertThat(refused.retryAfterNanos()).isBetween(1L, Duration.ofSeconds(1).toNanos());
        // The refused read did not spend the client's rate: it has 2 of its 3 left, for any other namespace.
        assertThat(buckets.charge("c", "cold", Operation.READ, 1)).isNull();
        assertThat(buckets.charge("c", "cold", Operation.READ, 1)).isNull();
        assertThat(buckets.charge("c", "cold", Operation.READ, 1)).isNotNull();
    }

    @Test
    void anOverrideTakesWhatItLeavesUnsetFromTheDefault() {
        Rates defaults = new Rates(100L, 1L, null);
        QuotaBuckets buckets = buckets(defaults, NONE, Map.of("batch-job", new Rates(null, 3L, null)), Map.of(), 100);
        assertThat(charged(buckets, "batch-job", Operation.WRITE, 10)).isEqualTo(3);
        assertThat(charged(buckets, "batch-job", Operation.READ, 1000)).isEqualTo(100);
        assertThat(charged(buckets, "someone", Operation.WRITE, 10)).isEqualTo(1);
    }

    @Test
    void anOverrideOfZeroLiftsTheLimit() {
        QuotaBuckets buckets = buckets(reads(1), NONE, Map.of("root", reads(0)), Map.of(), 100);
        assertThat(charged(buckets, "root", 1000)).isEqualTo(1000);
        assertThat(charged(buckets, "someone", 1000)).isEqualTo(1);
    }

    @Test
    void aBatchLargerThanTheBucketTakesTheWholeBucket() {
        QuotaBuckets buckets = buckets(reads(10), NONE, Map.of(), Map.of(), 100);
        assertThat(buckets.charge("c", "ns", Operation.READ, 1000)).isNull();
        Refusal refused = buckets.charge("c", "ns", Operation.READ, 1);
        assertThat(refused).isNotNull();
        advance(Duration.ofSeconds(1));
        assertThat(buckets.charge("c", "ns", Operation.READ, 1000)).isNull();
    }

    @Test
    void manyClientsKeepABoundedNumberOfBuckets() {
        QuotaBuckets buckets = buckets(reads(1), NONE, Map.of(), Map.of(), 50);
        for (int i = 0; i < 5_000; i++) {
            buckets.charge("client-" + i, "ns", Operation.READ, 1);
        }
        assertThat(buckets.trackedClients()).isLessThanOrEqualTo(50);
    }

    @Test
    void negativeRatesAndEmptyBurstsAreRefusedAtStart() {
        assertThatThrownBy(() -> buckets(reads(-1), NONE, Map.of(), Map.of(), 10)).hasMessageContaining("reads-per-second");
        assertThatThrownBy(() -> buckets(NONE, NONE, Map.of(), Map.of("ns", new Rates(1L, null, Duration.ZERO)), 10))
                .hasMessageContaining("burst");
    }

    private int charged(QuotaBuckets buckets, String client, int attempts) {
        return charged(buckets, client, Operation.READ, attempts);
    }

    private int charged(QuotaBuckets buckets, String client, Operation operation, int attempts) {
        int passed = 0;
        for (int i = 0; i < attempts; i++) {
            if (buckets.charge(client, "ns", operation, 1) == null) {
                passed++;
            }
        }
        return passed;
    }
}
