package io.logkv.writer;

import io.logkv.core.HybridClock;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.KafkaConnection;
import io.logkv.core.KeyRules;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.NodeTime;
import io.logkv.core.Version;
import io.logkv.core.WriteCondition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How a partition's writer moves through its ownership ({@link OwnershipState}), with Kafka and the replica
 * replaced by fakes: it writes only after fencing and catching up, retries what certainly did not commit,
 * stops when another node fenced it, and answers failed conditions only once it knows no one else wrote.
 */
class PartitionWriterTest {

    private static final NamespaceName NS = new NamespaceName("orders");
    private static final TopicPartition TRUTH = new TopicPartition(NS.truthTopic(), 0);
    private static final TopicPartition INGEST = new TopicPartition(NS.ingestTopic(), 0);
    private static final long WAIT_MS = 5_000;

    private final ExecutorService commitPool = Executors.newSingleThreadExecutor();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final FakeCommits commits = new FakeCommits();
    private final FakeReplica replica = new FakeReplica();
    private final AtomicLong logEnd = new AtomicLong(0);
    private final LogEnds ends = new LogEnds() {
        @Override
        public CompletableFuture<Long> committedEnd(TopicPartition truthPartition) {
            return CompletableFuture.completedFuture(logEnd.get());
        }

        @Override
        public CompletableFuture<Long> ingestStart(TopicPartition ingestPartition, long appliedByReplica) {
            return CompletableFuture.completedFuture(0L);
        }

        @Override
        public CompletableFuture<Long> registryEnd() {
            return CompletableFuture.completedFuture(0L);
        }
    };
    /** Whether the registry names this region as the home of the partition's namespace; moved by the tests only. */
    private volatile boolean homeHere = true;
    /** What the home leases answer; set by the tests only. */
    private volatile HomeLeases leases = HomeLeases.none();
    /** The writers' clocks, moved by the tests only. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final NodeTime time = new NodeTime() {
        @Override
        public long nowMs() {
            return 1_000_000L;
        }

        @Override
        public long nanoTime() {
            return nanos.get();
        }
    };
    private final PartitionWriter writer = new PartitionWriter(TRUTH, INGEST, services(Duration.ZERO));

    /** The group loop ticks every writer now and then: a writer that cannot write checks its waiting writes. */
    @BeforeEach
    void tickAsTheGroupLoopDoes() {
        timer.scheduleAtFixedRate(writer::tick, 20, 20, TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void stop() {
        commitPool.shutdownNow();
        timer.shutdownNow();
    }

    @Test
    void aNewWriterFencesEarlierWritersThenCatchesUpThenWrites() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        assertThat(commits.fences).hasValue(1);
        assertThat(replica.awaited.get()).as("it waited for its replica to reach the log's end").isEqualTo(0L);

        WriteOutcome outcome = write(put("k", WriteCondition.NONE));

        assertThat(outcome.position().nextOffset()).as("the position after its record").isEqualTo(1);
        assertThat(commits.committed).hasSize(1);
    }

    @Test
    void aNewWriterWhoseNamespaceHomeMovedAfterItsFenceNeverWrites() throws Exception {
        homeHere = false;
        writer.start();
        await(() -> commits.fences.get() == 1, "the fence");
        PendingWrite waiting = pending(put("k", WriteCondition.NONE));
        writer.offer(waiting);

        assertThatThrownBy(() -> waiting.result().get(WAIT_MS, TimeUnit.MILLISECONDS))
                .hasCauseInstanceOf(WriteFailedException.class).hasMessageContaining("home is another region");
        Thread.sleep(200);
        assertThat(writer.state()).as("it never starts writing").isNotEqualTo(OwnershipState.WRITING);
        assertThat(commits.committed).isEmpty();

        // Home again (a promotion back): the repeated check lets the writer catch up and write.
        homeHere = true;
        awaitState(OwnershipState.WRITING);
        assertThat(write(put("k", WriteCondition.NONE)).position().nextOffset()).isEqualTo(1);
    }

    @Test
    void aWriteTheHomeLeasesRefuseIsNeverSent() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        leases = namespace -> Optional.of("this region's home lease on namespace " + namespace + " from region b ran out");

        assertThatThrownBy(() -> write(put("k", WriteCondition.NONE)))
                .hasCauseInstanceOf(WriteFailedException.class).hasMessageContaining("from region b ran out")
                .satisfies(e -> assertThat(((WriteFailedException) e.getCause()).outcomeUnknown()).as("certainly not written").isFalse());
        assertThat(commits.committed).as("nothing was sent").isEmpty();

        leases = HomeLeases.none(); // granted again
        assertThat(write(put("k", WriteCondition.NONE)).position().nextOffset()).isEqualTo(1);
    }

    @Test
    void whileTheNodeCannotTellTheHomeLeasesWritesWaitUnsentAndGoOnceItCan() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        String old = "this node's view of the namespace registry is 12000 ms old";
        leases = new HomeLeases() {
            @Override
            public Optional<String> refusal(NamespaceName namespace) {
                return Optional.of(old);
            }

            @Override
            public Optional<String> unknown() {
                return Optional.of(old);
            }
        };
        PendingWrite waiting = pending(put("k", WriteCondition.NONE));
        writer.offer(waiting);
        Thread.sleep(300);
        assertThat(waiting.result()).as("it waits within its deadline").isNotDone();
        assertThat(commits.committed).as("nothing was sent").isEmpty();

        leases = HomeLeases.none(); // the registry read again
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThat(waiting.result().get(WAIT_MS, TimeUnit.MILLISECONDS).position().nextOffset()).isEqualTo(1);

        // A write whose deadline passes meanwhile fails, unsent.
        leases = new HomeLeases() {
            @Override
            public Optional<String> refusal(NamespaceName namespace) {
                return Optional.of(old);
            }

            @Override
            public Optional<String> unknown() {
                return Optional.of(old);
            }
        };
        PendingWrite late = new PendingWrite(put("k2", WriteCondition.NONE), null, new CompletableFuture<>(), nanos.get() + 1_000);
        writer.offer(late);
        Thread.sleep(100);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThatThrownBy(() -> late.result().get(WAIT_MS, TimeUnit.MILLISECONDS)).hasCauseInstanceOf(WriteFailedException.class);
        assertThat(commits.committed).hasSize(1);
    }

    @Test
    void aWriteCommittedAfterItsHomeLeaseRanOutIsNotAcknowledged() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        // The lease holds when the batch is sent and has run out by the time its commit returns.
        leases = namespace -> commits.committed.isEmpty() ? Optional.empty() : Optional.of("the lease ran out");

        assertThatThrownBy(() -> write(put("k", WriteCondition.NONE)))
                .hasCauseInstanceOf(WriteFailedException.class).hasMessageContaining("while the write was committed")
                .satisfies(e -> assertThat(((WriteFailedException) e.getCause()).outcomeUnknown())
                        .as("committed but not acknowledged: the client must not take it for either").isTrue());
        assertThat(commits.committed).hasSize(1);

        // The write stands, and the writer knows it: a later conditional write meets it.
        leases = HomeLeases.none();
        assertThatThrownBy(() -> write(put("k", WriteCondition.ABSENT))).hasCauseInstanceOf(PreconditionFailedException.class);
        assertThat(write(put("k2", WriteCondition.NONE)).position().nextOffset()).as("after the first transaction's record").isEqualTo(2);
    }

    @Test
    void writesArrivingWhileTheWriterCatchesUpWaitForIt() throws Exception {
        CompletableFuture<Boolean> caughtUp = new CompletableFuture<>();
        PendingWrite waiting = offerWhileCatchingUp(caughtUp, pending(put("k", WriteCondition.NONE)));
        Thread.sleep(100);
        assertThat(waiting.result()).isNotDone();
        assertThat(commits.committed).isEmpty();

        caughtUp.complete(true);

        assertThat(waiting.result().get(WAIT_MS, TimeUnit.MILLISECONDS)).isNotNull();
        assertThat(writer.state()).isEqualTo(OwnershipState.WRITING);
    }

    @Test
    void aWriteThatWaitsPastItsDeadlineWhileTheWriterCatchesUpIsRefusedUnsent() throws Exception {
        PendingWrite waiting = offerWhileCatchingUp(new CompletableFuture<>(), new PendingWrite(put("k", WriteCondition.NONE), null,
                new CompletableFuture<>(), nanos.get() + TimeUnit.SECONDS.toNanos(1)));
        Thread.sleep(100);
        assertThat(waiting.result()).as("its deadline has not passed").isNotDone();

        nanos.addAndGet(TimeUnit.SECONDS.toNanos(2));

        assertThatThrownBy(() -> waiting.result().get(WAIT_MS, TimeUnit.MILLISECONDS))
                .hasCauseInstanceOf(WriteFailedException.class).hasMessageContaining("still catching up");
        assertThat(commits.committed).isEmpty();
    }

    @Test
    void aFenceThatFailsIsTriedAgainAfterAPause() throws Exception {
        commits.fenceFailures.set(2);
        writer.start();
        await(() -> commits.fences.get() == 1, "the first fence");
        Thread.sleep(300); // the retry's timer has fired, but the pause has not passed on the writer's clock
        assertThat(commits.fences).hasValue(1);
        PendingWrite waiting = pending(put("k", WriteCondition.NONE));
        writer.offer(waiting);

        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (writer.state() != OwnershipState.WRITING && System.nanoTime() < until) {
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
            Thread.sleep(20);
        }

        assertThat(commits.fences).hasValue(3);
        assertThat(waiting.result().get(WAIT_MS, TimeUnit.MILLISECONDS)).isNotNull();
    }

    @Test
    void aTransactionThatCertainlyDidNotCommitIsRetriedAfterTheWriterFencesAgain() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        commits.nextFailure.set(new WriteFailedException("broker failed over", null, false));

        WriteOutcome outcome = write(put("k", WriteCondition.NONE));

        assertThat(outcome).isNotNull();
        assertThat(commits.fences).as("a failed producer is replaced: fence and catch up again").hasValue(2);
        assertThat(commits.committed).hasSize(1);
    }

    @Test
    void anAbortedTransactionIsRetriedWithTheSameProducer() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        commits.closeOnFailure = false;
        commits.nextFailure.set(new WriteFailedException("the transaction was aborted", null, false));

        assertThat(write(put("k", WriteCondition.NONE))).isNotNull();
        assertThat(commits.fences).hasValue(1);
    }

    /**
     * After an unknown outcome the writer fences again, asked by a timer task that can run while the drain that
     * failed still holds the writer. That request must not be lost: no tick comes to rescue a partition whose
     * only work is ingest (here, no tick at all, and a timer that runs a task due at once on the caller's thread,
     * inside the drain).
     */
    @Test
    void aWriterFencesAgainAfterAnUnknownOutcomeAskedForDuringItsOwnDrain() throws Exception {
        ScheduledExecutorService inline = new java.util.concurrent.ScheduledThreadPoolExecutor(1) {
            @Override
            public java.util.concurrent.ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
                if (delay > 0) {
                    return super.schedule(command, delay, unit);
                }
                command.run();
                return super.schedule(() -> { }, 0, unit);
            }
        };
        try {
            PartitionWriter untended = new PartitionWriter(TRUTH, INGEST, services(Duration.ZERO, inline));
            untended.start();
            await(() -> untended.state() == OwnershipState.WRITING, "writing");
            commits.nextFailure.set(new WriteFailedException("commit answer lost", null, true));
            PendingWrite lost = pending(put("k", WriteCondition.NONE));
            untended.offer(lost);
            assertThatThrownBy(() -> lost.result().get(WAIT_MS, TimeUnit.MILLISECONDS)).hasCauseInstanceOf(WriteFailedException.class);

            await(() -> commits.fences.get() == 2 && untended.state() == OwnershipState.WRITING, "a second fence, then writing");
        } finally {
            inline.shutdownNow();
        }
    }

    @Test
    void aWriteWhoseCommitOutcomeIsUnknownFailsAndIsNeverRetried() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        commits.nextFailure.set(new WriteFailedException("commit answer lost", null, true));

        assertThatThrownBy(() -> write(put("k", WriteCondition.NONE)))
                .hasCauseInstanceOf(WriteFailedException.class)
                .satisfies(e -> assertThat(((WriteFailedException) e.getCause()).outcomeUnknown()).isTrue());
        assertThat(commits.committed).isEmpty();
    }

    @Test
    void aWriterFencedByAnotherNodeClosesAndSendsLaterWritesToTheNewOwner() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        commits.nextFailure.set(new WriteFailedException("another node has taken over the partition", null, false, true));

        assertThatThrownBy(() -> write(put("k", WriteCondition.NONE))).hasCauseInstanceOf(WriteFailedException.class);
        awaitState(OwnershipState.CLOSED);
        assertThat(writer.closedAtNanos()).isNotZero();
        assertThatThrownBy(() -> write(put("k", WriteCondition.NONE))).hasCauseInstanceOf(NotOwnerException.class);
        assertThat(commits.fences).as("it does not fence the newer owner back").hasValue(1);
    }

    @Test
    void aFailedConditionIsAnsweredOnceTheLogHoldsNothingTheWriterDoesNotKnow() throws Exception {
        Version current = new Version(500, 1);
        replica.version.set(current);
        writer.start();
        awaitState(OwnershipState.WRITING);

        assertThatThrownBy(() -> write(put("k", WriteCondition.ABSENT)))
                .hasCauseInstanceOf(PreconditionFailedException.class);
        assertThat(commits.committed).as("a batch of failed conditions commits nothing").isEmpty();
    }

    @Test
    void aWriterThatFindsTheLogMovedUnderItCatchesUpAgainBeforeItAnswersAFailedCondition() throws Exception {
        replica.version.set(new Version(500, 1));
        writer.start();
        awaitState(OwnershipState.WRITING);
        logEnd.set(10); // another writer wrote: the writer's knowledge is stale
        replica.afterCatchUp = () -> replica.version.set(null); // what the other writer did: a delete

        WriteOutcome outcome = write(put("k", WriteCondition.ABSENT));

        assertThat(outcome).as("checked again against the state it caught up with").isNotNull();
        assertThat(replica.awaited.get()).isEqualTo(10L);
        assertThat(commits.fences).as("caught up without fencing").hasValue(1);
    }

    @Test
    void aFailedConditionIsAnsweredAtOnceWhenTheLogHoldsOnlyTheWritersOwnLateCommitMarker() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        write(put("a", WriteCondition.NONE)); // offset 0
        write(put("b", WriteCondition.NONE)); // offset 1, right after it: the first one's marker was still on the way
        logEnd.set(4); // both records, then both commit markers
        replica.version.set(new Version(500, 1));

        assertThatThrownBy(() -> write(put("k", WriteCondition.ABSENT))).hasCauseInstanceOf(PreconditionFailedException.class);
        assertThat(replica.awaited.get()).as("answered without catching up again").isZero();
    }

    @Test
    void anotherWritersTransactionBeyondALateCommitMarkerIsStillFound() throws Exception {
        writer.start();
        awaitState(OwnershipState.WRITING);
        write(put("a", WriteCondition.NONE));
        write(put("b", WriteCondition.NONE));
        logEnd.set(6); // this writer's records and markers, then another writer's record and marker
        replica.version.set(new Version(500, 1));
        replica.afterCatchUp = () -> replica.version.set(null); // what the other writer did: a delete

        WriteOutcome outcome = write(put("k", WriteCondition.ABSENT));

        assertThat(outcome).as("checked again against the state it caught up with").isNotNull();
        assertThat(replica.awaited.get()).isEqualTo(6L);
    }

    @Test
    void noMarkerIsAllowedForWhenEachTransactionsRecordsFollowedTheMarkerBefore() throws Exception {
        commits.markerAfterEach = true;
        writer.start();
        awaitState(OwnershipState.WRITING);
        write(put("a", WriteCondition.NONE)); // offset 0, its marker 1
        write(put("b", WriteCondition.NONE)); // offset 2, its marker 3
        logEnd.set(5); // one record more than this writer wrote
        replica.version.set(new Version(500, 1));

        assertThatThrownBy(() -> write(put("k", WriteCondition.ABSENT))).hasCauseInstanceOf(PreconditionFailedException.class);
        assertThat(replica.awaited.get()).as("caught up with what it did not write before answering").isEqualTo(5L);
    }

    @Test
    void theClientsACommitAnsweredAndThoseThatWaitedMeanwhileShareTheNextTransaction() throws Exception {
        PartitionWriter lingering = new PartitionWriter(TRUTH, INGEST, services(Duration.ofMinutes(1)));
        lingering.start();
        await(() -> lingering.state() == OwnershipState.WRITING, "the lingering writer writing");
        commits.entered = new CountDownLatch(1);
        commits.release = new CountDownLatch(1);
        PendingWrite first = pending(put("a", WriteCondition.NONE));
        lingering.offer(first);
        assertThat(commits.entered.await(WAIT_MS, TimeUnit.MILLISECONDS)).as("the first transaction is committing").isTrue();
        PendingWrite waited = pending(put("b", WriteCondition.NONE)); // a second client, waiting meanwhile
        lingering.offer(waited);
        commits.release.countDown();
        first.result().get(WAIT_MS, TimeUnit.MILLISECONDS);

        // The first client writes again: it joins the waiting client's transaction instead of taking turns with it.
        PendingWrite again = pending(put("c", WriteCondition.NONE));
        lingering.offer(again);

        again.result().get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertThat(waited.result()).isCompleted();
        assertThat(commits.committed).hasSize(2);
        assertThat(commits.committed.get(1)).as("the second transaction carries both clients").hasSize(2);
        lingering.close().get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    @Test
    void closingAnswersWaitingWritesNotOwner() throws Exception {
        PendingWrite waiting = offerWhileCatchingUp(new CompletableFuture<>(), pending(put("k", WriteCondition.NONE)));

        writer.close().get(WAIT_MS, TimeUnit.MILLISECONDS);

        assertThatThrownBy(() -> waiting.result().get(WAIT_MS, TimeUnit.MILLISECONDS)).hasCauseInstanceOf(NotOwnerException.class);
        assertThat(commits.closed).isTrue();
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private WriteOutcome write(WriteRequest request) throws Exception {
        PendingWrite pending = pending(request);
        writer.offer(pending);
        return pending.result().get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    /** Starts the writer with its catch-up waiting for {@code caughtUp}, and queues {@code write} meanwhile. */
    private PendingWrite offerWhileCatchingUp(CompletableFuture<Boolean> caughtUp, PendingWrite write) throws InterruptedException {
        replica.answer.set(caughtUp);
        writer.start();
        awaitState(OwnershipState.CATCHING_UP);
        writer.offer(write);
        return write;
    }

    private void awaitState(OwnershipState wanted) throws InterruptedException {
        await(() -> writer.state() == wanted, "writer state " + wanted + ", is " + writer.state());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static PendingWrite pending(WriteRequest request) {
        return new PendingWrite(request, null, new CompletableFuture<>(), Long.MAX_VALUE);
    }

    private static WriteRequest put(String key, WriteCondition condition) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        return new WriteRequest(NS, 1, bytes, "v".getBytes(StandardCharsets.UTF_8), "text/plain", 0, condition, null);
    }

    /** The writer's services; {@code linger} is both the commit linger and its share per writer. */
    private WriterServices services(Duration linger) {
        return services(linger, timer);
    }

    private WriterServices services(Duration linger, ScheduledExecutorService timer) {
        Duration second = Duration.ofSeconds(1);
        OwnerSettings settings = new OwnerSettings(KafkaConnection.of("localhost:9092"), "node", "logkv-writers", second, second, 100, 1L << 30, 10, 1 << 20,
                1 << 20, second, Duration.ofSeconds(30), second, Duration.ofMinutes(10), "none", linger, linger, 1);
        IngestRecords ingest = new IngestRecords(new KeyRules(1024), 1 << 20, ns -> new NamespaceSettings(1, Duration.ZERO),
                new SimpleMeterRegistry());
        return new WriterServices(settings, replica, ingest, HybridClock.system(), 1, commitPool, timer, ends, command -> { },
                new WriterMeters(new SimpleMeterRegistry()), tp -> commits, time,
                (namespace, registryEnd) -> registryEnd.get().thenApply(end -> homeHere),
                new HomeLeases() {
                    @Override
                    public Optional<String> refusal(NamespaceName namespace) {
                        return leases.refusal(namespace);
                    }

                    @Override
                    public Optional<String> unknown() {
                        return leases.unknown();
                    }
                });
    }

    /** The partition's transactions: commits succeed at consecutive offsets unless a failure is set up. */
    private static final class FakeCommits implements PartitionCommits {
        final AtomicInteger fences = new AtomicInteger();
        final AtomicInteger fenceFailures = new AtomicInteger();
        final AtomicReference<WriteFailedException> nextFailure = new AtomicReference<>();
        final List<List<ProducerRecord<byte[], byte[]>>> committed = new ArrayList<>();
        final AtomicLong nextOffset = new AtomicLong();
        volatile boolean closeOnFailure = true;
        /** When set, a commit counts {@code entered} down and waits for {@code release}. */
        volatile CountDownLatch entered;
        volatile CountDownLatch release;
        volatile boolean ready;
        volatile boolean closed;
        /** Whether each commit's marker takes the offset after its records (else the records of commits follow each other). */
        volatile boolean markerAfterEach;

        @Override
        public void fenceEarlierWriters() {
            fences.incrementAndGet();
            if (fenceFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new WriteFailedException("Kafka is unavailable", null, false);
            }
            ready = true;
        }

        @Override
        public boolean ready() {
            return ready;
        }

        @Override
        public synchronized List<Long> commit(List<ProducerRecord<byte[], byte[]>> records,
                                              Map<TopicPartition, OffsetAndMetadata> ingestOffsets) {
            WriteFailedException failure = nextFailure.getAndSet(null);
            if (failure != null) {
                ready = !closeOnFailure; // a plain abort keeps the producer; any other failure closes it
                throw failure;
            }
            if (release != null) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            committed.add(records);
            List<Long> offsets = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                offsets.add(nextOffset.getAndIncrement());
            }
            if (markerAfterEach) {
                nextOffset.incrementAndGet();
            }
            return offsets;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** The owner's replica: a key's version, and a catch-up that answers at once unless told otherwise. */
    private static final class FakeReplica implements StateLookup {
        final AtomicReference<Version> version = new AtomicReference<>();
        final AtomicReference<CompletableFuture<Boolean>> answer = new AtomicReference<>();
        final AtomicLong awaited = new AtomicLong(-1);
        volatile Runnable afterCatchUp = () -> { };

        @Override
        public StoredVersion stored(NamespaceName namespace, int partition, byte[] key) {
            Version v = version.get();
            return v == null ? null : new StoredVersion(v, 0);
        }

        @Override
        public IdempotentOutcome previousOutcome(NamespaceName namespace, int partition, byte[] idempotencyKey) {
            return null;
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
            awaited.set(position);
            CompletableFuture<Boolean> given = answer.getAndSet(null);
            if (given != null) {
                return given;
            }
            if (position > 0) {
                afterCatchUp.run();
            }
            return CompletableFuture.completedFuture(true);
        }
    }
}
