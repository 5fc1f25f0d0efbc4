package io.logkv.local;

import io.logkv.local.HistoryChecks.Check;
import io.logkv.local.HistoryOp.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks of a fault run's ingest records: the ingest topic as Kafka holds it after the run against the
 * truth topic. Part of {@link HistoryChecks#all()}; reads under ingest tokens are checked with the other
 * token reads ({@link HistoryChecks#readsNotOlderThanTheirToken()}).
 */
final class IngestChecks {

    private final List<HistoryOp> history;
    private final TruthLog log;
    private final IngestTopic ingest;
    private final Map<Long, HistoryOp> byId;

    IngestChecks(List<HistoryOp> history, TruthLog log, IngestTopic ingest, Map<Long, HistoryOp> byId) {
        this.history = history;
        this.log = log;
        this.ingest = ingest;
        this.byId = byId;
    }

    /**
     * Every record of the ingest topic is applied exactly once, in the topic's order within its partition:
     * the records acknowledged by Kafka, and those whose acknowledgement was lost but which reached the topic.
     * Every record Kafka acknowledged is in the topic, and every applied ingest write comes from it. (A
     * record applied twice is also a "committed N times" of noZombieRecords.)
     */
    Check ingestRecordsAppliedOnceInOrder() {
        List<String> violations = new ArrayList<>();
        Map<Long, IngestTopic.Entry> inTopic = ingest.byOpId();
        Map<Long, List<TruthLog.Entry>> applied = new HashMap<>();
        log.allKeys().forEach(entries -> entries.forEach(
                entry -> applied.computeIfAbsent(HistoryChecks.opIdOf(entry), id -> new ArrayList<>()).add(entry)));
        Map<Integer, long[]> lastApplied = new HashMap<>();
        for (IngestTopic.Entry record : ingest.entries()) {
            HistoryOp op = byId.get(record.opId());
            if (op == null || !op.kind().isIngest() || !op.key().equals(record.key())) {
                violations.add("ingest record of no ingest write of this run: " + record.describe());
                continue;
            }
            List<TruthLog.Entry> truth = applied.getOrDefault(record.opId(), List.of());
            if (truth.isEmpty()) {
                violations.add("ingest record never applied" + (op.outcome() == Outcome.ACK ? " (acknowledged by Kafka)" : "") + ": "
                        + record.describe() + " for " + op.describe() + "; the log holds "
                        + HistoryChecks.describe(log.entries(op.key())));
                continue;
            }
            TruthLog.Entry first = truth.get(0);
            long[] previous = lastApplied.get(record.partition());
            if (previous != null && first.offset() <= previous[1]) {
                violations.add("applied out of the ingest topic's order: " + record.describe() + " at truth offset " + first.offset()
                        + ", after ingest offset " + previous[0] + " at truth offset " + previous[1]);
            }
            lastApplied.put(record.partition(), new long[] {record.offset(), first.offset()});
        }
        for (HistoryOp op : history) {
            if (!op.kind().isIngest()) {
                continue;
            }
            IngestTopic.Entry record = inTopic.get(op.id());
            long acknowledgedOffset = op.outcome() == Outcome.ACK
                    ? MixedWorkload.ingestPosition(op.tokenReceived(), ProcessCluster.partitionOf(op.key())) - 1 : -1;
            if (op.outcome() == Outcome.ACK && (record == null || record.offset() != acknowledgedOffset)) {
                violations.add("acknowledged by Kafka at ingest offset " + acknowledgedOffset + ", but the topic holds "
                        + (record == null ? "no such record" : record.describe()) + ": " + op.describe());
            }
            if (record == null && applied.containsKey(op.id())) {
                violations.add("applied, yet never in the ingest topic: " + op.describe() + "; " + applied.get(op.id()).get(0).describe());
            }
        }
        return new Check("every ingest record applied exactly once, in the ingest topic's order (Kafka-acknowledged ones included)",
                ingest.entries().size(), violations);
    }
}
