package io.logkv.materializer;

import io.logkv.core.CommandQueue;
import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import io.logkv.testkit.Pauses;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The apply loop reads time from the node's clock: a replica's lag is timed from when the applier last saw it
 * caught up, and a position the log moved to without records (transaction markers) is persisted every five
 * seconds. A command runs only once every poll before it has been applied. Real store, mock consumer; the
 * polling runs on the test's thread, one turn per step.
 */
class ReplicaApplierTest {

    private static final long START_MS = 1_700_000_000_000L;
    private static final NamespaceName ORDERS = new NamespaceName("orders");
    private static final TopicPartition TP = ORDERS.truthPartition(0);

    @TempDir
    Path dir;
    private final ManualNodeTime time = new ManualNodeTime(START_MS);
    private final StoreResources resources = new StoreResources(8 << 20, 4 << 20, 64 << 10);
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final Deque<Runnable> turns = new ArrayDeque<>();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final CommandQueue<Consumer<byte[], byte[]>> commands = new CommandQueue<>(consumer::wakeup);
    /** Whether each step waits for the turns before it to be applied. */
    private boolean stepsAwaitApplied = true;
    /** How long the applying thread takes over each lookup of a replica (a slow write). */
    private long applyDelayMs;
    private PartitionReplica replica;

    @BeforeEach
    void holdOneReplica() {
        replica = new PartitionReplica(ORDERS, 0, PartitionStore.open(dir.resolve("p0"), resources, time), new AtomicInteger(), 100);
        consumer.assign(List.of(TP));
        consumer.updateBeginningOffsets(Map.of(TP, 0L));
        consumer.updateEndOffsets(Map.of(TP, 0L));
        consumer.seek(TP, 0);
    }

    @AfterEach
    void close() {
        if (replica != null) {
            replica.close(false);
        }
        resources.close();
    }

    @Test
    void aReplicasLagIsTimedFromWhenTheApplierLastSawItCaughtUp() {
        turn(() -> { });
        turn(() -> {
            time.advance(Duration.ofSeconds(3));
            consumer.updateEndOffsets(Map.of(TP, 5L));
        });

        runTurns();

        assertThat(replica.lagRecords()).isEqualTo(5);
        assertThat(replica.lagMillis(time.nowMs())).isEqualTo(3_000);
        assertThat(replica.lagMillis(time.nowMs() + 2_000)).isEqualTo(5_000);
    }

    @Test
    void aPositionReachedWithoutRecordsIsPersistedOnceFiveSecondsHavePassedSinceTheLastPersist() {
        List<Boolean> unpersisted = new ArrayList<>();
        turn(() -> moveTo(10));
        turn(() -> {
            unpersisted.add(replica.positionUnpersisted());
            time.advance(Duration.ofSeconds(4));
            moveTo(20);
        });
        turn(() -> {
            unpersisted.add(replica.positionUnpersisted());
            time.advance(Duration.ofSeconds(1));
        });

        runTurns();

        assertThat(unpersisted).as("after the first turn, after four seconds").containsExactly(false, true);
        assertThat(replica.positionUnpersisted()).as("after five seconds").isFalse();
        replica.close(false);
        replica = null;
        try (PartitionStore reopened = PartitionStore.open(dir.resolve("p0"), resources)) {
            assertThat(reopened.persistedPosition()).isEqualTo(20);
            assertThat(reopened.persistedAppliedAtMs()).isEqualTo(START_MS + 5_000);
        }
    }

    @Test
    void noPositionIsPersistedThroughTheMemtableWhileBatchesAreStagedForATableFile() {
        List<String> seen = new ArrayList<>();
        turn(() -> {
            consumer.updateEndOffsets(Map.of(TP, 100_000L)); // far behind and not serving yet: it will load by table files
            addRecords(0, 5);
        });
        turn(() -> consumer.seek(TP, 8)); // past commit markers: the position moves without records, persisted later
        turn(() -> {
            seen.add("applied " + replica.appliedPosition() + (replica.positionUnpersisted() ? ", unpersisted" : ""));
            addRecords(8, 5);
        });
        turn(() -> {
            seen.add(replica.holdsStaged() ? "staged" : "nothing staged");
            time.advance(Duration.ofSeconds(6));
        });
        turn(() -> { });

        runTurns();

        assertThat(seen).containsExactly("applied 8, unpersisted", "staged");
        // Written through the memtable, the position could land after a table file in flight is ingested, and
        // take the store's position back below what that file holds.
        assertThat(replica.positionUnpersisted()).as("the position stays unpersisted while batches are staged").isTrue();
        assertThat(replica.appliedPosition()).isEqualTo(8);
    }

    private void addRecords(int from, int count) {
        for (int offset = from; offset < from + count; offset++) {
            consumer.addRecord(new ConsumerRecord<>(TP.topic(), TP.partition(), offset, ("k" + offset).getBytes(),
                    new RecordEnvelope(new Version(offset + 1, 1), 0, "text/plain", ("v" + offset).getBytes()).encode()));
        }
    }

    private static void awaitApplied(ReplicaApplier applier) {
        try {
            applier.awaitApplied();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aCommandRunsOnlyOnceEveryPollBeforeItIsAppliedSoNoRecordFetchedBeforeASeekLandsAfterIt() {
        List<Long> seenByCommand = new ArrayList<>();
        List<Boolean> lastKeySeen = new ArrayList<>();
        stepsAwaitApplied = false;
        applyDelayMs = 300;
        turn(() -> {
            for (int offset = 0; offset < 10; offset++) {
                consumer.addRecord(new ConsumerRecord<>(TP.topic(), TP.partition(), offset, ("k" + offset).getBytes(),
                        new RecordEnvelope(new Version(offset + 1, 1), 0, "text/plain", ("v" + offset).getBytes()).encode()));
            }
            consumer.updateEndOffsets(Map.of(TP, 10L));
        });
        turn(() -> commands.post(c -> {
            seenByCommand.add(replica.appliedPosition());
            lastKeySeen.add(replica.read("k9".getBytes()) != null);
        }));
        turn(() -> { });

        runTurns();

        assertThat(seenByCommand).as("the position the command saw: the whole first poll applied").containsExactly(10L);
        assertThat(lastKeySeen).containsExactly(true);
    }

    /** The log moved to {@code position} past commit markers: no records for the applier, but a new position. */
    private void moveTo(long position) {
        consumer.updateEndOffsets(Map.of(TP, position));
        consumer.seek(TP, position);
    }

    private void turn(Runnable beforePoll) {
        turns.add(beforePoll);
    }

    /** Runs the apply loop for one turn per step queued, each step run just before that turn's poll. */
    private void runTurns() {
        MeterRegistry meters = new SimpleMeterRegistry();
        Map<TopicPartition, PartitionReplica> replicas = new ConcurrentHashMap<>(Map.of(TP, replica)) {
            @Override
            public PartitionReplica get(Object key) {
                if (applyDelayMs > 0 && Thread.currentThread().getName().startsWith("logkv-replica-apply")) {
                    Pauses.sleep(applyDelayMs);
                }
                return super.get(key);
            }
        };
        AtomicReference<ReplicaApplier> self = new AtomicReference<>();
        ReplicaApplier applier = new ReplicaApplier(consumer, replicas, commands, new RecordsToStore(meters.counter("malformed")),
                new ReplicaDigests(), new ReplicaRebuilds(meters, time), meters.counter("applied"), () -> {
                    Runnable step = turns.poll();
                    if (step == null) {
                        return false;
                    }
                    // Each step sees what the turns before it applied (the applying thread works behind the polls).
                    if (stepsAwaitApplied) {
                        awaitApplied(self.get());
                    }
                    step.run();
                    return true;
                }, failure::set, () -> { }, time);
        self.set(applier);
        applier.run();
        assertThat(failure.get()).isNull();
    }
}
