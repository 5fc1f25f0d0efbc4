package io.logkv.local;

import io.logkv.local.HistoryOp.Kind;
import io.logkv.local.HistoryOp.Outcome;
import io.logkv.query.CasRegisterCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The checks of a fault run's history against the truth topic read back after the run ({@link TruthLog}).
 * Each returns a {@link Check}: what it looked at and every violation it found, described. Nothing here
 * trusts what a node says about the log: positions, versions and values come from Kafka.
 */
final class HistoryChecks {

    /** How much later than its 503/504 answer a write may be versioned (clock reads on different threads). */
    static final long LATE_TOLERANCE_MS = 50;
    private static final Duration LINEARIZABILITY_TIMEOUT = Duration.ofSeconds(120);

    /**
     * One check's result.
     *
     * @param checked how many operations or records it looked at
     */
    record Check(String name, long checked, List<String> violations) {

        boolean passed() {
            return violations.isEmpty();
        }
    }

    private final List<HistoryOp> history;
    private final TruthLog log;
    private final IngestTopic ingest;
    private final Map<Long, HistoryOp> byId = new HashMap<>();
    /** Key and operation id to the index of its record among the key's records, built on first use. */
    private Map<String, Integer> indexByOpId;

    HistoryChecks(List<HistoryOp> history, TruthLog log) {
        this(history, log, IngestTopic.empty());
    }

    /** @param ingest the namespace's ingest topic as Kafka holds it after the run */
    HistoryChecks(List<HistoryOp> history, TruthLog log, IngestTopic ingest) {
        this.history = history;
        this.log = log;
        this.ingest = ingest;
        history.forEach(op -> byId.put(op.id(), op));
    }

    List<Check> all() {
        return List.of(allowedAnswers(), acknowledgedWritesCommitted(), noZombieRecords(), noLateCommits(), countersLinearizable(),
                readsNotOlderThanTheirToken(), strongReadsSeeEveryEarlierAcknowledgedWrite(), readsServeOnlyCommittedRecords(),
                ingestChecks().ingestRecordsAppliedOnceInOrder(), expiryChecks().noValueServedPastItsExpiry(),
                expiryChecks().expiriesAsAsked());
    }

    /** The checks of the ingest topic against the log. */
    IngestChecks ingestChecks() {
        return new IngestChecks(history, log, ingest, byId);
    }

    /** The checks of time-to-live writes and expiry. */
    ExpiryChecks expiryChecks() {
        return new ExpiryChecks(history, log, byId);
    }

    /** Every answer is one the API allows: a success, a 412 to a conditional write, a 404 to a read, a clean 503/504. */
    Check allowedAnswers() {
        List<String> violations = history.stream().filter(op -> op.unexpected() != null)
                .map(op -> op.describe() + ": " + op.unexpected()).toList();
        return new Check("every answer one the API allows (no 500, no hang past the client's deadline)", history.size(), violations);
    }

    /**
     * No acknowledged write lost: each is in the log, with the version it was acknowledged with, as its own
     * record; an ingest record Kafka acknowledged is in the log as its own record (its version is the owner's).
     */
    Check acknowledgedWritesCommitted() {
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (HistoryOp op : history) {
            if (op.kind().isRead() || op.outcome() != Outcome.ACK) {
                continue;
            }
            checked++;
            if (op.kind().isIngest()) {
                if (!committed(op)) {
                    violations.add("lost: ingest record acknowledged by Kafka, never applied: " + op.describe() + "; the log holds "
                            + describe(log.entries(op.key())));
                }
                continue;
            }
            int index = log.indexOf(op.key(), op.version());
            if (index < 0) {
                violations.add("lost: " + op.describe() + "; the log holds " + describe(log.entries(op.key())));
                continue;
            }
            TruthLog.Entry entry = log.entries(op.key()).get(index);
            if (entry.tombstone() != op.kind().isDelete() || opIdOf(entry) != op.id()) {
                violations.add("acknowledged version committed by another write: " + op.describe() + "; log: " + entry.describe());
            }
        }
        return new Check("no acknowledged write lost (read_committed, with its acknowledged version)", checked, violations);
    }

    /**
     * No zombie record: every committed record is the write of an operation that was acknowledged with that
     * version or whose outcome its client could not know (503/504, lost connection); never one answered 412,
     * {@code write-failed} or refused, never one committed twice (Idempotency-Key retries included).
     */
    Check noZombieRecords() {
        List<String> violations = new ArrayList<>();
        Map<Long, Integer> commits = new HashMap<>();
        for (List<TruthLog.Entry> entries : log.allKeys()) {
            for (TruthLog.Entry entry : entries) {
                if (entry.expiryTombstone()) {
                    continue; // the compactor's, not a client's: expiriesAsAsked checks it
                }
                long id = opIdOf(entry);
                HistoryOp op = byId.get(id);
                if (op == null || op.kind().isRead() || !op.key().equals(entry.key())) {
                    violations.add("record of no write of this run: " + entry.describe());
                    continue;
                }
                commits.merge(id, 1, Integer::sum);
                if (op.kind().isDelete() != entry.tombstone() || (!entry.tombstone() && !Objects.equals(op.value(), entry.value()))
                        || (entry.idempotencyKey() != null && !entry.idempotencyKey().equals(op.idempotencyKey()))) {
                    violations.add("record unlike its write: " + entry.describe() + " for " + op.describe());
                } else if (op.outcome() == Outcome.ACK && op.version() != null && !op.version().equals(entry.version())) {
                    violations.add("committed with another version than acknowledged: " + entry.describe() + " for " + op.describe());
                } else if (op.outcome() != Outcome.ACK && op.outcome() != Outcome.AMBIGUOUS) {
                    violations.add("zombie: committed although answered " + op.outcome() + ": " + entry.describe() + " for " + op.describe());
                }
            }
        }
        commits.forEach((id, count) -> {
            if (count > 1) {
                violations.add("committed " + count + " times: " + byId.get(id).describe());
            }
        });
        return new Check("no zombie record: every committed record acknowledged or of unknown outcome, none twice", log.records(),
                violations);
    }

    /** A write answered 503/504 was not versioned by its owner after that answer (it may have been on its way already). */
    Check noLateCommits() {
        Map<Long, TruthLog.Entry> committed = new HashMap<>();
        log.allKeys().forEach(entries -> entries.forEach(entry -> committed.put(opIdOf(entry), entry)));
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (HistoryOp op : history) {
            if (op.kind().isRead() || op.kind().isIngest() || op.outcome() != Outcome.AMBIGUOUS || op.status() < 0) {
                continue;
            }
            checked++;
            TruthLog.Entry entry = committed.get(op.id());
            if (entry != null && entry.version().length() == 24) {
                long writtenMs = Long.parseUnsignedLong(entry.version().substring(0, 16), 16) >>> 16;
                if (writtenMs - op.returnedEpochMs() > LATE_TOLERANCE_MS) {
                    violations.add("versioned " + (writtenMs - op.returnedEpochMs()) + " ms after its " + op.status() + " answer: "
                            + op.describe() + "; " + entry.describe());
                }
            }
        }
        return new Check("no write answered 503/504 taken up by its owner afterwards (" + LATE_TOLERANCE_MS + " ms tolerance)", checked,
                violations);
    }

    /**
     * Each counter's history of strong reads and compare-and-sets is linearizable (the query service's
     * checker). A write whose outcome its client did not learn took effect exactly when the log holds it: it
     * enters the history as done with no known answer time, or not at all.
     */
    Check countersLinearizable() {
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (String counter : MixedWorkload.counters()) {
            CasRegisterCheck check = new CasRegisterCheck();
            for (HistoryOp op : history) {
                if (!op.key().equals(counter)) {
                    continue;
                }
                if (op.kind() == Kind.STRONG_READ && op.outcome() == Outcome.OBSERVED) {
                    check.read(op.observedValue(), op.invokedNanos(), op.returnedNanos());
                } else if (op.kind() == Kind.CAS_PUT || op.kind() == Kind.CAS_DELETE) {
                    switch (op.outcome()) {
                        case ACK -> check.compareAndSet(op.expectedValue(), op.value(), CasRegisterCheck.Outcome.OK, op.invokedNanos(),
                                op.returnedNanos());
                        case CONDITION_FAILED -> check.compareAndSet(op.expectedValue(), op.value(), CasRegisterCheck.Outcome.FAILED,
                                op.invokedNanos(), op.returnedNanos());
                        case AMBIGUOUS -> {
                            if (committed(op)) {
                                check.compareAndSet(op.expectedValue(), op.value(), CasRegisterCheck.Outcome.OK, op.invokedNanos(),
                                        Long.MAX_VALUE);
                            }
                        }
                        default -> {
                            // certainly not applied (and noZombieRecords checks that the log agrees)
                        }
                    }
                }
            }
            checked += check.size();
            String verdict = linearizable(check);
            if (verdict != null) {
                violations.add(counter + " (" + check.size() + " operations): " + verdict);
            }
        }
        return new Check("compare-and-set histories linearizable per counter", checked, violations);
    }

    /** Null when linearizable, else why not (or that the search did not end in time, which is not a pass). */
    private static String linearizable(CasRegisterCheck check) {
        AtomicReference<Boolean> result = new AtomicReference<>();
        Thread searcher = new Thread(() -> result.set(check.isLinearizable(null)), "linearizability-check-runner");
        searcher.setDaemon(true);
        searcher.start();
        try {
            searcher.join(LINEARIZABILITY_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (result.get() == null) {
            return "undecided: the linearizability search did not end within " + LINEARIZABILITY_TIMEOUT.toSeconds() + " s";
        }
        return result.get() ? null : "not linearizable";
    }

    private boolean committed(HistoryOp op) {
        return log.entries(op.key()).stream().anyMatch(entry -> opIdOf(entry) == op.id());
    }

    /**
     * No read under a token older than the token: a read carrying a token that covers position P of the
     * key's partition returns the key's last record below P or a later one (a 404 only if the key is absent
     * there or later: deleted, or expired by the time the read was answered). A session read whose token
     * covers ingest position Q of the partition returns, likewise, the record applied from the key's last
     * ingest record below Q or a later one. And the answer's token covers the request's (ingest positions
     * included) and what the read returned, so a client that keeps it never goes back.
     */
    Check readsNotOlderThanTheirToken() {
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (HistoryOp op : history) {
            boolean answered = op.kind().isRead() ? op.outcome() == Outcome.OBSERVED : op.outcome() == Outcome.ACK;
            if (!answered) {
                continue;
            }
            checked++;
            if (op.tokenSent() != null && (op.tokenReceived() == null || !MixedWorkload.covers(op.tokenReceived(), op.tokenSent()))) {
                violations.add("answer's token demands less than the request's: " + op.describe() + "; sent " + op.tokenSent()
                        + ", got " + op.tokenReceived());
            }
            if (!op.kind().isRead()) {
                continue;
            }
            int partition = ProcessCluster.partitionOf(op.key());
            long position = MixedWorkload.positions(op.tokenSent()).getOrDefault(partition, 0L);
            int floor = log.lastIndexBelow(op.key(), position);
            if (op.kind() == Kind.SESSION_READ) {
                floor = Math.max(floor, ingestFloor(op.key(), MixedWorkload.ingestPosition(op.tokenSent(), partition)));
            }
            if (op.observedAbsent()) {
                if (!log.absentAtOrAfter(op.key(), floor, op.returnedEpochMs() + LATE_TOLERANCE_MS)) {
                    violations.add("404 under a token covering " + log.entries(op.key()).get(floor).describe() + ": " + op.describe());
                }
                continue;
            }
            int index = log.indexOf(op.key(), op.version());
            if (index < 0) {
                continue; // not committed at all: readsServeOnlyCommittedRecords reports it
            }
            TruthLog.Entry served = log.entries(op.key()).get(index);
            if (index < floor) {
                violations.add("read older than its token: " + op.describe() + " returned " + served.describe() + ", token covers "
                        + log.entries(op.key()).get(floor).describe());
            }
            long answerPosition = MixedWorkload.positions(op.tokenReceived()).getOrDefault(partition, 0L);
            if (answerPosition <= served.offset()) {
                violations.add("read's answer token does not cover what it returned: " + op.describe() + " returned " + served.describe()
                        + ", answer token position " + answerPosition);
            }
        }
        return new Check("no read older than its token; answer tokens cover the request's and what was read", checked, violations);
    }

    /**
     * The index in the log of the record applied from {@code key}'s last ingest record below ingest position
     * {@code ingestPosition}, or -1 (none, or not applied: ingestRecordsAppliedOnceInOrder reports that).
     */
    private int ingestFloor(String key, long ingestPosition) {
        int floor = -1;
        if (ingestPosition <= 0) {
            return floor;
        }
        for (IngestTopic.Entry record : ingest.entries(key)) {
            if (record.offset() < ingestPosition) {
                floor = Math.max(floor, indexOfOp(key, record.opId()));
            }
        }
        return floor;
    }

    /** The index among its key's records of the (first) record of operation {@code opId}, or -1. */
    private int indexOfOp(String key, long opId) {
        if (indexByOpId == null) {
            indexByOpId = new HashMap<>();
            for (List<TruthLog.Entry> entries : log.allKeys()) {
                for (int i = 0; i < entries.size(); i++) {
                    indexByOpId.putIfAbsent(entries.get(i).key() + "|" + opIdOf(entries.get(i)), i);
                }
            }
        }
        return indexByOpId.getOrDefault(key + "|" + opId, -1);
    }

    /**
     * A strong read sees every write of its key acknowledged before it began (or something later). Ingest
     * records are not among them: Kafka's acknowledgement precedes the owner's, and a strong read waits for
     * the truth topic's end, not for the ingest topic to be applied.
     */
    Check strongReadsSeeEveryEarlierAcknowledgedWrite() {
        Map<String, List<HistoryOp>> acknowledged = new HashMap<>();
        history.stream().filter(op -> !op.kind().isRead() && !op.kind().isIngest() && op.outcome() == Outcome.ACK)
                .sorted(Comparator.comparingLong(HistoryOp::returnedNanos))
                .forEach(op -> acknowledged.computeIfAbsent(op.key(), key -> new ArrayList<>()).add(op));
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (HistoryOp read : history) {
            if (read.kind() != Kind.STRONG_READ || read.outcome() != Outcome.OBSERVED) {
                continue;
            }
            checked++;
            int floor = -1;
            HistoryOp floorWrite = null;
            for (HistoryOp write : acknowledged.getOrDefault(read.key(), List.of())) {
                if (write.returnedNanos() >= read.invokedNanos()) {
                    break;
                }
                int index = log.indexOf(write.key(), write.version());
                if (index > floor) {
                    floor = index;
                    floorWrite = write;
                }
            }
            boolean stale = read.observedAbsent() ? !log.absentAtOrAfter(read.key(), floor, read.returnedEpochMs() + LATE_TOLERANCE_MS)
                    : log.indexOf(read.key(), read.version()) >= 0 && log.indexOf(read.key(), read.version()) < floor;
            if (stale) {
                violations.add("strong read missed a write acknowledged before it began: " + read.describe() + "; earlier: "
                        + floorWrite.describe());
            }
        }
        return new Check("strong reads see every write acknowledged before they began", checked, violations);
    }

    /** Every value read is a committed record, the one of that version, written by a request that began before the read ended. */
    Check readsServeOnlyCommittedRecords() {
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (HistoryOp read : history) {
            if (!read.kind().isRead() || read.outcome() != Outcome.OBSERVED || read.observedAbsent()) {
                continue;
            }
            checked++;
            int index = log.indexOf(read.key(), read.version());
            if (index < 0) {
                violations.add("served a version the log does not hold: " + read.describe() + "; log: " + describe(log.entries(read.key())));
                continue;
            }
            TruthLog.Entry entry = log.entries(read.key()).get(index);
            HistoryOp write = byId.get(opIdOf(entry));
            if (entry.tombstone() || !Objects.equals(entry.value(), read.observedValue())) {
                violations.add("served another value than committed with its version: " + read.describe() + "; log: " + entry.describe());
            } else if (write != null && write.invokedNanos() > read.returnedNanos()) {
                violations.add("served a write that began after the read ended: " + read.describe() + "; write: " + write.describe());
            }
        }
        return new Check("reads serve only committed records, as committed", checked, violations);
    }

    /** The operation a record is the write of: from its value (puts) or its Idempotency-Key (deletes, and puts that carry one). */
    static long opIdOf(TruthLog.Entry entry) {
        long fromValue = HistoryOp.idInValue(entry.value());
        return fromValue >= 0 ? fromValue : HistoryOp.idInIdempotencyKey(entry.idempotencyKey());
    }

    static String describe(List<TruthLog.Entry> entries) {
        if (entries.isEmpty()) {
            return "nothing";
        }
        List<String> lines = entries.stream().map(TruthLog.Entry::describe).toList();
        return lines.size() <= 6 ? lines.toString() : "[... " + (lines.size() - 6) + " earlier, " + String.join(", ", lines.subList(lines.size() - 6, lines.size())) + "]";
    }
}
