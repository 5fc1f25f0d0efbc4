package io.logkv.writer;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import io.logkv.core.WriteCondition;
import io.logkv.testkit.Pauses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transaction takes what waits for its partition, within the batch bounds; a write whose caller gave up is
 * refused unsent; ingest records read before the last rewind are dropped, to be read again in order.
 */
class WriteBatchTest {

    private static final NamespaceName NS = new NamespaceName("orders");
    private static final TopicPartition INGEST = new TopicPartition(NS.ingestTopic(), 0);

    private final List<Consumer<KafkaConsumer<byte[], byte[]>>> groupCommands = new ArrayList<>();
    private final WaitingWrites waiting = new WaitingWrites(INGEST, groupCommands::add);
    private final WriterProgress progress = new WriterProgress();
    private final WriterMeters meters = new WriterMeters(new SimpleMeterRegistry());

    @Test
    void aBatchTakesWritesInOrderUpToItsRecordBound() {
        List<PendingWrite> writes = List.of(http(Long.MAX_VALUE), http(Long.MAX_VALUE), http(Long.MAX_VALUE));
        writes.forEach(waiting::add);

        WriteBatch first = WriteBatch.gather(waiting, services(2), progress);

        assertThat(first.writes).containsExactlyElementsOf(writes.subList(0, 2));
        assertThat(first.hasIngest()).isFalse();
        assertThat(WriteBatch.gather(waiting, services(2), progress).writes).containsExactly(writes.get(2));
    }

    @Test
    void aWriteWhoseDeadlinePassedIsRefusedUnsent() {
        PendingWrite late = http(System.nanoTime() - 1);
        PendingWrite onTime = http(Long.MAX_VALUE);
        waiting.add(late);
        waiting.add(onTime);

        WriteBatch batch = WriteBatch.gather(waiting, services(10), progress);

        assertThat(batch.writes).containsExactly(onTime);
        assertThat(late.result()).isCompletedExceptionally();
    }

    @Test
    void ingestRecordsSetTheOffsetTheTransactionCommits() {
        waiting.add(ingest(5, 0));
        waiting.add(ingest(6, 0));
        progress.nextIngestOffset = 5;

        WriteBatch batch = WriteBatch.gather(waiting, services(10), progress);

        assertThat(batch.writes).hasSize(2);
        assertThat(batch.ingestEnd).isEqualTo(7);
        assertThat(batch.ingestCount).isEqualTo(2);
    }

    @Test
    void clearingTheQueueCountsOutTheIngestRecordsItHeldAndNotThoseOfABatchInFlight() {
        waiting.add(ingest(5, 0));
        waiting.add(ingest(6, 0));
        waiting.add(ingest(7, 0));
        progress.nextIngestOffset = 5;
        WriteBatch inFlight = WriteBatch.gather(waiting, services(2), progress);

        waiting.clear(pending -> { });
        waiting.ingestTaken(inFlight.ingestCount); // its outcome comes after the queue was cleared
        waiting.add(http(Long.MAX_VALUE));

        assertThat(inFlight.ingestCount).isEqualTo(2);
        assertThat(waiting.waitingHttpWrites()).as("the one HTTP write; no ingest record counted twice or lost").isEqualTo(1);
        assertThat(waiting.wantsIngest(1)).isTrue();
        waiting.add(ingest(8, 0));
        assertThat(waiting.wantsIngest(1)).as("one ingest record queued").isFalse();
    }

    @Test
    void ingestRecordsBelowTheCommittedOffsetOrReadBeforeTheLastRewindAreDropped() {
        progress.nextIngestOffset = 5;
        waiting.add(ingest(4, 0)); // already committed
        waiting.rewindIngest(5); // the group loop has not re-positioned yet: records read now are stale
        waiting.add(ingest(5, 0));

        WriteBatch batch = WriteBatch.gather(waiting, services(10), progress);

        assertThat(batch.writes).isEmpty();
        assertThat(groupCommands).as("the rewind was handed to the group loop").hasSize(1);
        assertThat(waiting.wantsIngest(10)).as("no fetch until the group loop has re-positioned").isFalse();
    }

    @Test
    void aBatchBelowItsLingerTargetWaitsForTheClientsTheLastCommitAnswered() throws Exception {
        // The last commit answered one client while another waited: two clients write to the partition, and
        // the next batch waits for the answered one to write again instead of leaving with half of them.
        progress.lingerTarget = 2;
        PendingWrite waited = http(Long.MAX_VALUE);
        PendingWrite answeredWritesAgain = http(Long.MAX_VALUE);
        waiting.add(waited);
        Thread later = new Thread(() -> {
            Pauses.sleep(50);
            waiting.add(answeredWritesAgain);
        });
        later.start();

        WriteBatch batch = WriteBatch.gather(waiting, services(10, Duration.ofMinutes(1)), progress);
        later.join();

        assertThat(batch.writes).containsExactly(waited, answeredWritesAgain);
    }

    @Test
    void aWriteWhoseDeadlinePassesWhileTheBatchLingersIsRefusedUnsent() {
        progress.lingerTarget = 2;
        PendingWrite soonLate = http(System.nanoTime() + Duration.ofMillis(30).toNanos());
        waiting.add(soonLate);
        CompletableFuture<WriteBatch> gathered = CompletableFuture.supplyAsync(() -> WriteBatch.gather(waiting, services(10, Duration.ofMinutes(1)), progress));

        assertThat(gathered).succeedsWithin(Duration.ofSeconds(5)).satisfies(batch -> assertThat(batch.writes).isEmpty());
        assertThat(soonLate.result()).isCompletedExceptionally();
    }

    @Test
    void ingestRecordsAreNotCountedAsWriters() {
        // Only clients come back after an answer: an ingest record and one client's write count one writer, and
        // a batch of them leaves at once at a target of one.
        progress.lingerTarget = 1;
        progress.nextIngestOffset = 5;
        waiting.add(ingest(5, 0));
        PendingWrite client = http(Long.MAX_VALUE);
        waiting.add(client);
        assertThat(waiting.waitingHttpWrites()).isEqualTo(1);

        CompletableFuture<WriteBatch> gathered = CompletableFuture.supplyAsync(() -> WriteBatch.gather(waiting, services(10, Duration.ofMinutes(1)), progress));

        assertThat(gathered).succeedsWithin(Duration.ofSeconds(5)).satisfies(batch -> {
            assertThat(batch.writes).hasSize(2);
            assertThat(batch.httpWrites()).isEqualTo(1);
        });
        assertThat(waiting.waitingHttpWrites()).isZero();
    }

    @Test
    void aBatchAtItsLingerTargetLeavesAtOnce() {
        // One client: the write it sends after each answer is the whole batch (a lone client never waits).
        progress.lingerTarget = 1;
        PendingWrite only = http(Long.MAX_VALUE);
        waiting.add(only);
        CompletableFuture<WriteBatch> gathered = CompletableFuture.supplyAsync(() -> WriteBatch.gather(waiting, services(10, Duration.ofMinutes(1)), progress));

        assertThat(gathered).succeedsWithin(Duration.ofSeconds(5)).satisfies(batch -> assertThat(batch.writes).containsExactly(only));
    }

    @Test
    void theLingerGrowsPerWriterUpToItsCap() {
        OwnerSettings settings = services(10, Duration.ofMillis(20), Duration.ofNanos(500_000)).settings();

        assertThat(settings.lingerNanos(0)).isZero();
        assertThat(settings.lingerNanos(2)).isEqualTo(1_000_000);
        assertThat(settings.lingerNanos(16)).isEqualTo(8_000_000);
        assertThat(settings.lingerNanos(43)).as("capped by the commit linger").isEqualTo(20_000_000);
        assertThat(services(10, Duration.ZERO, Duration.ofNanos(500_000)).settings().lingerNanos(43)).as("0 never waits").isZero();
    }

    private static PendingWrite http(long deadlineNanos) {
        WriteRequest request = new WriteRequest(NS, 1, new byte[] {'k'}, new byte[] {'v'}, "text/plain", 0, WriteCondition.NONE, null);
        return new PendingWrite(request, null, new CompletableFuture<>(), deadlineNanos);
    }

    private static PendingWrite ingest(long offset, int feedEpoch) {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(INGEST.topic(), 0, offset, new byte[] {'k'}, new byte[0]);
        return new PendingWrite(null, new IngestRecords.IngestSource(record, "malformed: test", feedEpoch),
                new CompletableFuture<>(), Long.MAX_VALUE);
    }

    /** What gathering a batch uses of the node's services: the bounds, the meters, the time, and the group loop. */
    private WriterServices services(int maxBatchRecords) {
        return services(maxBatchRecords, Duration.ZERO);
    }

    private WriterServices services(int maxBatchRecords, Duration commitLinger) {
        return services(maxBatchRecords, commitLinger, commitLinger);
    }

    private WriterServices services(int maxBatchRecords, Duration commitLinger, Duration commitLingerPerWriter) {
        Duration second = Duration.ofSeconds(1);
        OwnerSettings settings = new OwnerSettings(KafkaConnection.of("localhost:9092"), "node", "logkv-writers", second, second, 100, 1L << 30, maxBatchRecords,
                1 << 20, 1 << 20, second, second, second, second, "none", commitLinger, commitLingerPerWriter, 1);
        return new WriterServices(settings, null, null, null, 0, null, null, null, groupCommands::add, meters, null,
                NodeTime.SYSTEM, NamespaceHomes.everywhere(), HomeLeases.none());
    }
}
