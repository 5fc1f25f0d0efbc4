package io.logkv.writer;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.HybridClock;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.KeyRules;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import io.logkv.core.WriteCondition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * What the owner decides for a batch before it sends anything: conditions checked against the batch so far,
 * its recent commits and its replica, in that order; retries under an idempotency key answered with the
 * first outcome; ingest records that cannot apply turned into dead letters.
 */
class BatchPlanTest {

    private static final int PARTITIONS = 4;
    private static final int WRITER = 7;
    private static final long NOW_MS = 1_000_000;
    private static final Duration WINDOW = Duration.ofMinutes(10);
    private static final NamespaceName NS = new NamespaceName("orders");

    private final ReplicaState replica = new ReplicaState();
    private final RecentWrites recent = new RecentWrites();
    private final IngestRecords ingest = new IngestRecords(new KeyRules(1024), 1 << 20,
            ns -> new NamespaceSettings(PARTITIONS, Duration.ZERO), new SimpleMeterRegistry());
    private final HybridClock clock = new HybridClock(() -> NOW_MS);

    // ---- conditions against the replica ---------------------------------------------------------------

    @Test
    void anUnconditionalWriteIsAcceptedWithANewVersionOfThisWriter() {
        PendingWrite put = http(put("k", WriteCondition.NONE));
        BatchPlan plan = decide(put);
        assertThat(plan.accepted()).singleElement().satisfies(a -> {
            assertThat(a.pending()).isSameAs(put);
            assertThat(a.version().writer()).isEqualTo(WRITER);
            assertThat(a.tp()).isEqualTo(new TopicPartition(NS.truthTopic(), KeyPartitioner.partitionOf(bytes("k"), PARTITIONS)));
        });
        assertThat(plan.rejected()).isEmpty();
    }

    @Test
    void ifMatchHoldsOnlyForTheVersionTheKeyHolds() {
        Version current = new Version(500, 1);
        replica.store("k", current, 0);
        PendingWrite matching = http(put("k", WriteCondition.matching(current)));
        PendingWrite stale = http(put("k", WriteCondition.matching(new Version(499, 1))));

        BatchPlan plan = decide(stale, matching);

        assertThat(plan.rejected()).singleElement().satisfies(r -> {
            assertThat(r.pending()).isSameAs(stale);
            assertThat(r.current()).as("a failed write is answered with the version it met").isEqualTo(current);
        });
        assertThat(plan.accepted()).extracting(BatchPlan.Accepted::pending).containsExactly(matching);
    }

    @Test
    void ifMatchFailsOnAnExpiredValueWhichIsReportedAsAbsent() {
        Version current = new Version(500, 1);
        replica.store("k", current, NOW_MS - 1);
        BatchPlan plan = decide(http(put("k", WriteCondition.matching(current))));
        assertThat(plan.accepted()).isEmpty();
        assertThat(plan.rejected()).singleElement().satisfies(r -> assertThat(r.current()).isNull());
    }

    @Test
    void ifMatchAnyNeedsALiveValue() {
        assertThat(decide(http(put("k", WriteCondition.PRESENT))).rejected()).hasSize(1);
        replica.store("k", new Version(500, 1), 0);
        assertThat(decide(http(put("k", WriteCondition.PRESENT))).accepted()).hasSize(1);
    }

    @Test
    void putIfAbsentHoldsForAnAbsentOrExpiredKeyAndFailsForALiveOne() {
        assertThat(decide(http(put("absent", WriteCondition.ABSENT))).accepted()).hasSize(1);

        replica.store("expired", new Version(500, 1), NOW_MS);
        assertThat(decide(http(put("expired", WriteCondition.ABSENT))).accepted()).as("expires at now: gone").hasSize(1);

        Version live = new Version(500, 1);
        replica.store("live", live, NOW_MS + 1);
        BatchPlan plan = decide(http(put("live", WriteCondition.ABSENT)));
        assertThat(plan.accepted()).isEmpty();
        assertThat(plan.rejected()).singleElement().satisfies(r -> assertThat(r.current()).isEqualTo(live));
    }

    @Test
    void anUnconditionalWriteNeverLooksTheKeyUp() {
        decide(http(put("k", WriteCondition.NONE)));
        assertThat(replica.lookups).isZero();
    }

    // ---- what the condition is checked against --------------------------------------------------------

    @Test
    void laterWritesInABatchSeeTheEarlierOnesAsIfCommittedOneByOne() {
        PendingWrite first = http(put("k", WriteCondition.ABSENT));
        PendingWrite second = http(put("k", WriteCondition.ABSENT));

        BatchPlan plan = decide(first, second);

        assertThat(plan.accepted()).extracting(BatchPlan.Accepted::pending).containsExactly(first);
        assertThat(plan.rejected()).singleElement().satisfies(r -> {
            assertThat(r.pending()).isSameAs(second);
            assertThat(r.current()).isEqualTo(plan.accepted().get(0).version());
        });
    }

    @Test
    void aDeleteEarlierInTheBatchMakesTheKeyAbsentForTheWritesAfterIt() {
        replica.store("k", new Version(500, 1), 0);
        PendingWrite delete = http(request("k", null, WriteCondition.NONE, null));
        PendingWrite create = http(put("k", WriteCondition.ABSENT));
        assertThat(decide(delete, create).accepted()).extracting(BatchPlan.Accepted::pending).containsExactly(delete, create);
    }

    @Test
    void theOwnersRecentCommitsComeBeforeItsReplicaWhichMayNotHaveAppliedThemYet() {
        replica.store("k", new Version(500, 1), 0);
        Version committed = new Version(600, WRITER);
        recent.put(partitionOf("k"), bytes("k"), new RecentWrites.Entry(committed, false, 0, 42));

        BatchPlan plan = decide(http(put("k", WriteCondition.matching(new Version(500, 1)))));

        assertThat(plan.rejected()).singleElement().satisfies(r -> assertThat(r.current()).isEqualTo(committed));
    }

    @Test
    void aRecentDeleteMakesTheKeyAbsentWhateverTheReplicaStillHolds() {
        replica.store("k", new Version(500, 1), 0);
        recent.put(partitionOf("k"), bytes("k"), new RecentWrites.Entry(new Version(600, WRITER), true, 0, 42));
        assertThat(decide(http(put("k", WriteCondition.ABSENT))).accepted()).hasSize(1);
    }

    // ---- idempotency ----------------------------------------------------------------------------------

    @Test
    void aRetryOfAWriteTheReplicaRemembersIsAnsweredWithTheFirstOutcomeAndWritesNothing() {
        Version first = new Version(500, 1);
        replica.outcome("retry-1", new IdempotentOutcome(first, 17, NOW_MS - 1_000, bytes("k")));
        PendingWrite retry = http(request("k", bytes("v"), WriteCondition.NONE, "retry-1"));

        BatchPlan plan = decide(retry);

        assertThat(plan.accepted()).isEmpty();
        assertThat(plan.rejected()).isEmpty();
        assertThat(retry.result()).isCompletedWithValueMatching(o -> o.version().equals(first) && o.position().nextOffset() == 17);
    }

    @Test
    void aRetryOfARecentCommitIsAnsweredFromTheOwnersMemoryBeforeTheReplica() {
        Version mine = new Version(600, WRITER);
        recent.putOutcome(partitionOf("k"), bytes("retry-1"), new IdempotentOutcome(mine, 43, NOW_MS, bytes("k")));
        replica.outcome("retry-1", new IdempotentOutcome(new Version(500, 1), 17, NOW_MS, bytes("k")));
        PendingWrite retry = http(request("k", bytes("v"), WriteCondition.NONE, "retry-1"));

        decide(retry);

        assertThat(retry.result()).isCompletedWithValueMatching(o -> o.version().equals(mine));
    }

    @Test
    void anIdempotencyKeyReusedForAnotherKeyOrPastTheWindowWritesAgain() {
        replica.outcome("other-key", new IdempotentOutcome(new Version(500, 1), 17, NOW_MS, bytes("elsewhere")));
        replica.outcome("too-old", new IdempotentOutcome(new Version(500, 1), 17, NOW_MS - WINDOW.toMillis() - 1, bytes("k")));
        PendingWrite reused = http(request("k", bytes("v"), WriteCondition.NONE, "other-key"));
        PendingWrite late = http(request("k", bytes("v"), WriteCondition.NONE, "too-old"));

        assertThat(decide(reused, late).accepted()).extracting(BatchPlan.Accepted::pending).containsExactly(reused, late);
        assertThat(reused.result()).isNotDone();
    }

    @Test
    void aRetryInTheSameBatchIsAnsweredWhenTheFirstIsAndWritesNothing() {
        PendingWrite first = http(request("k", bytes("v"), WriteCondition.NONE, "retry-1"));
        PendingWrite again = http(request("k", bytes("v"), WriteCondition.NONE, "retry-1"));

        BatchPlan plan = decide(first, again);

        assertThat(plan.accepted()).extracting(BatchPlan.Accepted::pending).containsExactly(first);
        assertThat(again.result()).isNotDone();
        WriteOutcome outcome = new WriteOutcome(plan.accepted().get(0).version(), null);
        first.result().complete(outcome);
        assertThat(again.result()).isCompletedWithValue(outcome);
    }

    @Test
    void aRetryIsAnsweredBeforeItsConditionIsChecked() {
        Version first = new Version(500, 1);
        replica.store("k", first, 0);
        replica.outcome("create-once", new IdempotentOutcome(first, 17, NOW_MS, bytes("k")));
        PendingWrite retry = http(request("k", bytes("v"), WriteCondition.ABSENT, "create-once"));

        BatchPlan plan = decide(retry);

        assertThat(plan.rejected()).as("its own first write must not fail its retry's condition").isEmpty();
        assertThat(retry.result()).isCompletedWithValueMatching(o -> o.version().equals(first));
    }

    // ---- ingest records -------------------------------------------------------------------------------

    @Test
    void aMalformedIngestRecordBecomesADeadLetter() {
        PendingWrite malformed = ingest.toWrite(new ConsumerRecord<>(NS.ingestTopic(), 0, 5, null, new byte[0]), 0);
        BatchPlan plan = decide(malformed);
        assertThat(plan.accepted()).isEmpty();
        assertThat(plan.deadLetters()).singleElement()
                .satisfies(letter -> assertThat(letter.topic()).isEqualTo(NS.deadLetterTopic()));
    }

    @Test
    void anIngestRecordWhoseConditionFailsIsRejectedAndDeadLettered() {
        replica.store("k", new Version(500, 1), 0);
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(NS.ingestTopic(), partitionOf("k").partition(), 5, bytes("k"),
                new RecordEnvelope(new Version(1, 1), RecordEnvelope.NO_EXPIRY, "text/plain", bytes("v")).encode());
        record.headers().add(io.logkv.core.IngestHeaders.IF_NONE_MATCH, bytes("*"));
        PendingWrite write = ingest.toWrite(record, 0);

        BatchPlan plan = decide(write);

        assertThat(plan.rejected()).hasSize(1);
        assertThat(plan.deadLetters()).singleElement().satisfies(letter -> assertThat(letter.topic()).isEqualTo(NS.deadLetterTopic()));
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private BatchPlan decide(PendingWrite... batch) {
        return BatchPlan.decide(List.of(batch), recent, replica, ingest, clock, WRITER, WINDOW, NOW_MS);
    }

    private static WriteRequest put(String key, WriteCondition condition) {
        return request(key, bytes("v"), condition, null);
    }

    private static WriteRequest request(String key, byte[] value, WriteCondition condition, String idempotencyKey) {
        return new WriteRequest(NS, PARTITIONS, bytes(key), value, "text/plain", 0, condition, idempotencyKey);
    }

    private static PendingWrite http(WriteRequest request) {
        return new PendingWrite(request, null, new CompletableFuture<>(), Long.MAX_VALUE);
    }

    private static TopicPartition partitionOf(String key) {
        return new TopicPartition(NS.truthTopic(), KeyPartitioner.partitionOf(bytes(key), PARTITIONS));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The owner's replica, as the {@link StateLookup} port shows it. */
    private static final class ReplicaState implements StateLookup {
        private final Map<ByteBuffer, StoredVersion> values = new HashMap<>();
        private final Map<ByteBuffer, IdempotentOutcome> outcomes = new HashMap<>();
        int lookups;

        void store(String key, Version version, long expiresAtMs) {
            values.put(ByteBuffer.wrap(bytes(key)), new StoredVersion(version, expiresAtMs));
        }

        void outcome(String idempotencyKey, IdempotentOutcome outcome) {
            outcomes.put(ByteBuffer.wrap(bytes(idempotencyKey)), outcome);
        }

        @Override
        public StoredVersion stored(NamespaceName namespace, int partition, byte[] key) {
            lookups++;
            return values.get(ByteBuffer.wrap(key));
        }

        @Override
        public IdempotentOutcome previousOutcome(NamespaceName namespace, int partition, byte[] idempotencyKey) {
            return outcomes.get(ByteBuffer.wrap(idempotencyKey));
        }

        @Override
        public long appliedPosition(NamespaceName namespace, int partition) {
            return 0;
        }

        @Override
        public long appliedIngestPosition(NamespaceName namespace, int partition) {
            return 0;
        }

        @Override
        public CompletableFuture<Boolean> awaitApplied(NamespaceName namespace, int partition, long position, Duration maxWait) {
            return CompletableFuture.completedFuture(true);
        }
    }
}
