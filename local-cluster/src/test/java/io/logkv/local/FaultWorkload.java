package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.Pauses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The load a fault test runs while the fault plays, and the history of every operation it made: writers
 * PUT distinct keys (each with itself as {@code Idempotency-Key}) through one node; readers read back
 * acknowledged writes through a node, at session consistency with the write's own token, so any answer
 * but the acknowledged version or a clean 503 is a violation. Outcomes are recorded, never thrown, and
 * checked after the run.
 */
final class FaultWorkload {

    /** How much later than its 503 answer a write's version may be stamped (clock reads on different threads). */
    private static final long LATE_TOLERANCE_MS = 50;


    private static final byte[] VALUE = "v".repeat(1024).getBytes(StandardCharsets.UTF_8);

    /**
     * One operation and its outcome.
     *
     * @param endEpochMs      the wall-clock time of the answer, to compare with the time in a committed version
     * @param expectedVersion for a read, the version the read must see (the acknowledged write's); null for a write
     */
    record Op(String key, int partition, long startNanos, long endNanos, long endEpochMs, LogKvHttp.Answer answer,
              String expectedVersion) {

        boolean isRead() {
            return expectedVersion != null;
        }

        /** A write acknowledged, or a read that saw the acknowledged version. */
        boolean succeeded() {
            return isRead() ? answer.status() == 200 && expectedVersion.equals(answer.etag()) : answer.status() == 200;
        }

        /** Neither a success nor a clean 503/504: a lost answer, a 500, a hang past the deadline, a wrong or missing value. */
        boolean violation() {
            return !succeeded() && !answer.cleanUnavailable();
        }

        String describe() {
            String what = (isRead() ? "GET " : "PUT ") + key + " (partition " + partition + "): " + answer.describe()
                    + (answer.problemType() == null ? "" : " (" + answer.detail() + ")");
            return isRead() && answer.status() == 200 && !succeeded()
                    ? what + ", saw version " + answer.etag() + " instead of " + expectedVersion : what;
        }
    }

    private final LogKvHttp http;
    private final String prefix;
    private final Duration writeDeadline;
    private final AtomicBoolean running = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Op> writes = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Op> reads = new ConcurrentLinkedQueue<>();
    /** Acknowledged writes, for the readers to pick from. */
    private final List<Op> acknowledged = new ArrayList<>();

    /**
     * @param prefix        of every key this workload writes
     * @param writeDeadline how long a write may take before the client gives up (a violation)
     */
    FaultWorkload(LogKvHttp http, String prefix, Duration writeDeadline) {
        this.http = http;
        this.prefix = prefix;
        this.writeDeadline = writeDeadline;
    }

    /** Starts {@code writers} writers through {@code writeUrl} and {@code readers} readers through {@code readUrl}. */
    FaultWorkload start(String writeUrl, int writers, String readUrl, int readers) {
        running.set(true);
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(thread("writer-" + w, () -> write(writeUrl, writer)));
        }
        for (int r = 0; r < readers; r++) {
            threads.add(thread("reader-" + r, () -> read(readUrl)));
        }
        return this;
    }

    /** Stops the load and waits for every operation in flight to end (each is bounded by its own deadline). */
    void stop() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join(writeDeadline.toMillis() + 10_000);
            if (thread.isAlive()) {
                throw new AssertionError(thread.getName() + " still busy " + writeDeadline.toSeconds() + " s after the load stopped");
            }
        }
    }

    private void write(String url, int writer) {
        for (int i = 0; running.get(); i++) {
            String key = prefix + "-w" + writer + "-" + i;
            long start = System.nanoTime();
            LogKvHttp.Answer answer = http.put(url, key, VALUE, writeDeadline);
            Op op = new Op(key, ProcessCluster.partitionOf(key), start, System.nanoTime(), System.currentTimeMillis(), answer, null);
            writes.add(op);
            if (op.succeeded()) {
                synchronized (acknowledged) {
                    acknowledged.add(op);
                }
            }
        }
    }

    private void read(String url) {
        while (running.get()) {
            Op write;
            synchronized (acknowledged) {
                write = acknowledged.isEmpty() ? null : acknowledged.get(ThreadLocalRandom.current().nextInt(acknowledged.size()));
            }
            if (write == null) {
                Pauses.sleep(20);
                continue;
            }
            long start = System.nanoTime();
            LogKvHttp.Answer answer = http.get(url, write.key(), "session", write.answer().token(), 1000, Duration.ofSeconds(30));
            reads.add(new Op(write.key(), write.partition(), start, System.nanoTime(), System.currentTimeMillis(), answer,
                    write.answer().etag()));
        }
    }

    List<Op> writes() {
        return List.copyOf(writes);
    }

    List<Op> reads() {
        return List.copyOf(reads);
    }

    /** Every acknowledged write's version, by key. */
    Map<String, String> acknowledgedVersions() {
        Map<String, String> versions = new LinkedHashMap<>();
        writes.stream().filter(Op::succeeded).forEach(op -> versions.put(op.key(), op.answer().etag()));
        return versions;
    }

    /** Every key a write was attempted for, whatever its outcome. */
    List<String> attemptedKeys() {
        return writes.stream().map(Op::key).toList();
    }

    /**
     * Keys whose write was answered {@code 503 write-failed}: the node says the write certainly did not
     * commit and never will (unlike {@code write-outcome-unknown} or a forward that got no answer).
     */
    List<String> definitelyFailedKeys() {
        return writes.stream().filter(op -> "write-failed".equals(op.answer().problemType())).map(Op::key).toList();
    }

    /** Writes that failed cleanly (503/504), each with the wall-clock time its answer came. */
    List<Op> cleanlyFailedWrites() {
        return writes.stream().filter(op -> !op.succeeded() && op.answer().cleanUnavailable()).toList();
    }

    /** The first {@code limit} writes that failed cleanly, described, for the report. */
    List<String> cleanWriteFailures(int limit) {
        return writes.stream().filter(op -> !op.succeeded() && op.answer().cleanUnavailable()).limit(limit).map(Op::describe).toList();
    }

    /** Every operation that is a violation, described. */
    List<String> violations() {
        List<String> all = new ArrayList<>();
        writes.stream().filter(Op::violation).map(Op::describe).forEach(all::add);
        reads.stream().filter(Op::violation).map(Op::describe).forEach(all::add);
        return all;
    }

    /** How many operations of {@code ops} ended with a clean 503/504, by problem type. */
    static Map<String, Long> cleanFailures(Collection<Op> ops) {
        Map<String, Long> counts = new LinkedHashMap<>();
        ops.stream().filter(op -> !op.succeeded() && op.answer().cleanUnavailable())
                .forEach(op -> counts.merge(op.answer().status() + " " + op.answer().problemType(), 1L, Long::sum));
        return counts;
    }

    static long longestMs(Collection<Op> ops) {
        return ops.stream().mapToLong(op -> TimeUnit.NANOSECONDS.toMillis(op.endNanos() - op.startNanos())).max().orElse(0);
    }

    /**
     * The longest time, within [{@code fromNanos}, {@code toNanos}], during which no operation of {@code ops}
     * on the chosen partitions succeeded: how long those partitions were out of service for this load.
     */
    static long longestGapMs(Collection<Op> ops, Predicate<Integer> partitions, long fromNanos, long toNanos) {
        List<Long> successes = ops.stream()
                .filter(op -> op.succeeded() && partitions.test(op.partition()))
                .map(Op::endNanos)
                .filter(end -> end >= fromNanos && end <= toNanos)
                .sorted().toList();
        long longest = 0;
        long previous = fromNanos;
        for (long end : successes) {
            longest = Math.max(longest, end - previous);
            previous = end;
        }
        longest = Math.max(longest, toNanos - previous);
        return TimeUnit.NANOSECONDS.toMillis(longest);
    }

    /**
     * From {@code sinceNanos} to the end of the first successful operation of {@code ops} that began after
     * it on the chosen partitions: how long a client starting at that moment waited for service.
     */
    static OptionalLong firstSuccessAfterMs(Collection<Op> ops, Predicate<Integer> partitions, long sinceNanos) {
        Optional<Op> first = ops.stream()
                .filter(op -> op.succeeded() && partitions.test(op.partition()) && op.startNanos() >= sinceNanos)
                .min(Comparator.comparingLong(Op::endNanos));
        return first.map(op -> OptionalLong.of(TimeUnit.NANOSECONDS.toMillis(op.endNanos() - sinceNanos))).orElse(OptionalLong.empty());
    }

    /**
     * Checks the run against the committed log once the load has stopped: no acknowledged write lost or
     * committed with another version, no key committed twice, no write answered {@code write-failed}
     * committed, and every one of {@code nodes} serving (at strong consistency) what the log holds. Reports
     * how many writes answered 503/504 were committed anyway, and when.
     */
    void assertAgreesWithTheLog(String bootstrapServers, List<LogKvNodeProcess> nodes) {
        // (A version's time is the owner's clock when it took the write up; client and nodes share this machine's clock.)
        CommittedLogCheck log = CommittedLogCheck.read(bootstrapServers);
        Map<String, String> acknowledged = acknowledgedVersions();
        ProcessCluster.log(acknowledged.size() + " writes acknowledged of " + writes.size() + "; " + log.committedKeys()
                + " keys committed");
        Map<String, Long> late = log.committedAfterFailure(cleanlyFailedWrites());
        System.out.printf("  writes answered 503/504 yet committed: %d of %d, written %s ms after their answer%n%n",
                late.size(), cleanlyFailedWrites().size(), late.values());
        List<String> lost = log.lost(acknowledged);
        assertThat(lost).as("acknowledged writes missing from the log"
                + LostWrites.explain(bootstrapServers, ProcessCluster.TRUTH_TOPIC, lost)).isEmpty();
        assertThat(log.acknowledgedWithAnotherVersion(acknowledged)).as("acknowledged writes committed with another version")
                .isEmpty();
        assertThat(log.committedTwice(attemptedKeys())).as("keys committed twice").isEmpty();
        assertThat(log.committedDespiteFailure(definitelyFailedKeys())).as("writes answered write-failed, yet committed")
                .isEmpty();
        // A 503 may hide a write that was already on its way to Kafka, never one the owner took up afterwards:
        // a forwarded write carries its caller's deadline, and an owner past it refuses the write unsent.
        assertThat(late).as("writes answered 503/504 and versioned by their owner more than %d ms after that answer",
                LATE_TOLERANCE_MS).allSatisfy((key, afterMs) -> assertThat(afterMs).as(key).isLessThanOrEqualTo(LATE_TOLERANCE_MS));
        for (LogKvNodeProcess node : nodes) {
            Map<String, String> served = http.versions(node.url(), attemptedKeys(), "strong");
            assertThat(log.servedDifferently(served)).as("keys served through " + node + " unlike the log").isEmpty();
        }
    }

    /** A measured time for the report, or "(never)" when the event did not happen. */
    static String show(OptionalLong millis) {
        return millis.isPresent() ? String.valueOf(millis.getAsLong()) : "(never)";
    }

    /** The partitions in {@code owners} owned by {@code url}. */
    static Set<Integer> partitionsOwnedBy(Map<Integer, String> owners, String url) {
        return Set.copyOf(owners.entrySet().stream().filter(e -> e.getValue().equals(url)).map(Map.Entry::getKey).toList());
    }

    private static Thread thread(String name, Runnable body) {
        Thread thread = new Thread(body, "fault-load-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
