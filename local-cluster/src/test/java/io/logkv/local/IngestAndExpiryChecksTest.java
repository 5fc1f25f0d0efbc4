package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.logkv.local.HistoryChecks.Check;
import io.logkv.local.HistoryOp.Kind;
import io.logkv.local.HistoryOp.Outcome;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The fault runs' checks of ingest records and of time-to-live writes find what they are meant to find: a
 * lost, reordered or doubly applied ingest record, a read under an ingest token that misses its record, a
 * value served past its expiry (an expired key come back), an expiry not as asked and an expiry tombstone
 * that erases a later write each fail their check, and a clean history of both passes every check.
 */
class IngestAndExpiryChecksTest {

    private static final NamespaceName NAMESPACE = new NamespaceName(LogKvHttp.NAMESPACE);
    private static final String KEY = "k-00";
    private static final int PARTITION = ProcessCluster.partitionOf(KEY);
    private static final String TTL_KEY = "t-00";
    private static final int TTL_PARTITION = ProcessCluster.partitionOf(TTL_KEY);

    @Test
    void aCleanHistoryOfIngestRecordsAndExpiringKeysPassesEveryCheck() {
        List<HistoryOp> history = List.of(
                ingest(1, KEY, "op=1;ingest;c=i;", Outcome.ACK, 0, 1_000),
                read(2, Kind.SESSION_READ, KEY, 200, version(1_010, 1), "op=1;ingest;c=i;", ingestToken(PARTITION, 1),
                        token(PARTITION, 1).merge(ingestToken(PARTITION, 1)), 1_020),
                write(3, Kind.TTL_PUT, TTL_KEY, "op=3;ttl=2000;c=t;", version(2_000, 1), 1_990, 2_010),
                read(4, Kind.STRONG_READ, TTL_KEY, 200, version(2_000, 1), "op=3;ttl=2000;c=t;", null, token(TTL_PARTITION, 1), 3_000),
                // Expired: a 404, even under a token covering the value.
                read(5, Kind.SESSION_READ, TTL_KEY, 404, null, null, token(TTL_PARTITION, 1), token(TTL_PARTITION, 1), 4_100),
                read(6, Kind.STRONG_READ, TTL_KEY, 404, null, null, null, token(TTL_PARTITION, 2), 4_200));
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(KEY, PARTITION, 0, version(1_010, 1), false, "op=1;ingest;c=i;", null),
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 0, version(2_000, 1), false, "op=3;ttl=2000;c=t;", "op-3", 3_995, 0),
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 1, version(4_000, 1), true, null, null, 0, 3_995)));
        IngestTopic topic = IngestTopic.of(List.of(new IngestTopic.Entry(KEY, PARTITION, 0, "op=1;ingest;c=i;", 0)));

        List<Check> checks = new HistoryChecks(history, log, topic).all();

        assertThat(checks).allSatisfy(check -> assertThat(check.violations()).as(check.name()).isEmpty());
    }

    @Test
    void anIngestRecordAcknowledgedByKafkaButNeverAppliedIsLost() {
        List<HistoryOp> history = List.of(ingest(1, KEY, "op=1;ingest;", Outcome.ACK, 0, 1_000));
        IngestTopic topic = IngestTopic.of(List.of(new IngestTopic.Entry(KEY, PARTITION, 0, "op=1;ingest;", 0)));

        HistoryChecks checks = new HistoryChecks(history, TruthLog.of(List.of()), topic);

        assertThat(checks.acknowledgedWritesCommitted().violations()).singleElement().asString().startsWith("lost: ingest record");
        assertThat(checks.ingestChecks().ingestRecordsAppliedOnceInOrder().violations()).singleElement().asString()
                .startsWith("ingest record never applied (acknowledged by Kafka)");
    }

    @Test
    void anIngestRecordWhoseAcknowledgementWasLostMustStillBeAppliedOnceItIsInTheTopic() {
        List<HistoryOp> history = List.of(ingest(1, KEY, "op=1;ingest;", Outcome.AMBIGUOUS, 0, 1_000));
        IngestTopic topic = IngestTopic.of(List.of(new IngestTopic.Entry(KEY, PARTITION, 0, "op=1;ingest;", 0)));

        Check check = new HistoryChecks(history, TruthLog.of(List.of()), topic).ingestChecks().ingestRecordsAppliedOnceInOrder();

        assertThat(check.violations()).singleElement().asString().startsWith("ingest record never applied:");
    }

    @Test
    void ingestRecordsAppliedOutOfOrderOrTwiceAreFound() {
        List<HistoryOp> history = List.of(ingest(1, KEY, "op=1;ingest;", Outcome.ACK, 0, 1_000),
                ingest(2, KEY, "op=2;ingest;", Outcome.ACK, 1, 1_010));
        IngestTopic topic = IngestTopic.of(List.of(new IngestTopic.Entry(KEY, PARTITION, 0, "op=1;ingest;", 0),
                new IngestTopic.Entry(KEY, PARTITION, 1, "op=2;ingest;", 0)));
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(KEY, PARTITION, 0, version(1_020, 1), false, "op=2;ingest;", null),
                new TruthLog.Entry(KEY, PARTITION, 1, version(1_030, 1), false, "op=1;ingest;", null),
                new TruthLog.Entry(KEY, PARTITION, 2, version(1_040, 1), false, "op=1;ingest;", null)));

        HistoryChecks checks = new HistoryChecks(history, log, topic);

        assertThat(checks.ingestChecks().ingestRecordsAppliedOnceInOrder().violations()).singleElement().asString()
                .startsWith("applied out of the ingest topic's order");
        assertThat(checks.noZombieRecords().violations()).singleElement().asString().startsWith("committed 2 times");
    }

    @Test
    void aSessionReadUnderAnIngestTokenThatMissesTheRecordIsFound() {
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(KEY, PARTITION, 0, version(1_000, 1), false, "op=1;a", "op-1"),
                new TruthLog.Entry(KEY, PARTITION, 1, version(1_030, 1), false, "op=2;ingest;", null)));
        IngestTopic topic = IngestTopic.of(List.of(new IngestTopic.Entry(KEY, PARTITION, 0, "op=2;ingest;", 0)));
        ConsistencyToken covering = ingestToken(PARTITION, 1);
        List<HistoryOp> history = List.of(
                write(1, Kind.PUT, KEY, "op=1;a", version(1_000, 1), 990, 1_010),
                ingest(2, KEY, "op=2;ingest;", Outcome.ACK, 0, 1_020),
                read(3, Kind.SESSION_READ, KEY, 200, version(1_000, 1), "op=1;a", covering, covering.merge(token(PARTITION, 1)), 1_040),
                read(4, Kind.SESSION_READ, KEY, 404, null, null, covering, covering.merge(token(PARTITION, 1)), 1_050),
                // An answer's token that drops the request's ingest position.
                read(5, Kind.SESSION_READ, KEY, 200, version(1_030, 1), "op=2;ingest;", covering, token(PARTITION, 2), 1_060));

        Check check = new HistoryChecks(history, log, topic).readsNotOlderThanTheirToken();

        assertThat(check.violations()).anyMatch(v -> v.startsWith("read older than its token"))
                .anyMatch(v -> v.startsWith("404 under a token")).anyMatch(v -> v.startsWith("answer's token demands less"))
                .hasSize(3);
    }

    @Test
    void aValueServedPastItsExpiryIsFoundOnAnyReplica() {
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 0, version(2_000, 1), false, "op=1;ttl=2000;", "op-1", 3_995, 0)));
        List<HistoryOp> history = List.of(
                write(1, Kind.TTL_PUT, TTL_KEY, "op=1;ttl=2000;", version(2_000, 1), 1_990, 2_010),
                read(2, Kind.SESSION_READ, TTL_KEY, 404, null, null, token(TTL_PARTITION, 1), token(TTL_PARTITION, 1), 4_100),
                // Another replica, later, serves the expired value again: the key came back.
                read(3, Kind.STRONG_READ, TTL_KEY, 200, version(2_000, 1), "op=1;ttl=2000;", null, token(TTL_PARTITION, 1), 4_500));

        Check check = new HistoryChecks(history, log).expiryChecks().noValueServedPastItsExpiry();

        assertThat(check.violations()).singleElement().asString().startsWith("served 500 ms past its expiry");
    }

    @Test
    void anExpiryNotAsAskedIsFound() {
        TruthLog log = TruthLog.of(List.of(
                // Asked 2 s, got none.
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 0, version(2_000, 1), false, "op=1;ttl=2000;", "op-1", 0, 0),
                // Asked none, got one.
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 1, version(2_100, 1), false, "op=2;c=t;", "op-2", 5_000, 0),
                // Asked 1 s, counted from long after its version.
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 2, version(2_200, 1), false, "op=3;ttl=1000;", "op-3", 9_000, 0)));
        List<HistoryOp> history = List.of(
                write(1, Kind.TTL_PUT, TTL_KEY, "op=1;ttl=2000;", version(2_000, 1), 1_990, 2_010),
                write(2, Kind.PUT, TTL_KEY, "op=2;c=t;", version(2_100, 1), 2_090, 2_110),
                write(3, Kind.TTL_PUT, TTL_KEY, "op=3;ttl=1000;", version(2_200, 1), 2_190, 2_210));

        Check check = new HistoryChecks(history, log).expiryChecks().expiriesAsAsked();

        assertThat(check.violations()).hasSize(3).anyMatch(v -> v.startsWith("written without a time to live, yet expires"));
    }

    @Test
    void anExpiryTombstoneThatErasesALaterWriteOrComesBeforeTheExpiryIsFound() {
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 0, version(2_000, 1), false, "op=1;ttl=1000;", "op-1", 3_000, 0),
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 1, version(2_500, 1), false, "op=2;c=t;", "op-2"),
                // Erases op 2's rewrite, naming op 1's expiry.
                new TruthLog.Entry(TTL_KEY, TTL_PARTITION, 2, version(3_100, 1), true, null, null, 0, 3_000),
                new TruthLog.Entry(KEY, PARTITION, 0, version(5_000, 1), false, "op=3;ttl=1000;", "op-3", 6_000, 0),
                // Versioned before the expiry it names.
                new TruthLog.Entry(KEY, PARTITION, 1, version(5_500, 1), true, null, null, 0, 6_000)));
        List<HistoryOp> history = List.of(
                write(1, Kind.TTL_PUT, TTL_KEY, "op=1;ttl=1000;", version(2_000, 1), 1_990, 2_010),
                write(2, Kind.PUT, TTL_KEY, "op=2;c=t;", version(2_500, 1), 2_490, 2_510),
                write(3, Kind.TTL_PUT, KEY, "op=3;ttl=1000;", version(5_000, 1), 4_990, 5_010));

        Check check = new HistoryChecks(history, log).expiryChecks().expiriesAsAsked();

        assertThat(check.violations()).hasSize(2).anyMatch(v -> v.startsWith("expiry tombstone not after the value it expires"))
                .anyMatch(v -> v.startsWith("expiry tombstone versioned 500 ms before"));
    }

    private static HistoryOp ingest(long id, String key, String value, Outcome outcome, long ingestOffset, long epochMs) {
        String token = outcome == Outcome.ACK ? ingestToken(ProcessCluster.partitionOf(key), ingestOffset + 1).encode() : null;
        return new HistoryOp(id, "ingest", Kind.INGEST_PUT, key, "kafka", nanos(epochMs - 5), nanos(epochMs), epochMs, null, null, value,
                null, 1, outcome, outcome == Outcome.ACK ? 0 : -1, null, null, null, null, token, null);
    }

    private static HistoryOp write(long id, Kind kind, String key, String value, String version, long invokedMs, long returnedMs) {
        return new HistoryOp(id, "c", kind, key, "n", nanos(invokedMs), nanos(returnedMs), returnedMs, null, "op-" + id, value, null, 1,
                Outcome.ACK, 200, null, version, null, null, token(ProcessCluster.partitionOf(key), 1).encode(), null);
    }

    private static HistoryOp read(long id, Kind kind, String key, int status, String version, String value, ConsistencyToken sent,
                                  ConsistencyToken received, long returnedMs) {
        return new HistoryOp(id, "c", kind, key, "n", nanos(returnedMs - 5), nanos(returnedMs), returnedMs, null, null, null, null, 1,
                Outcome.OBSERVED, status, status == 404 ? "key-not-found" : null, version, value, sent == null ? null : sent.encode(),
                received.encode(), null);
    }

    /** A nanoTime for a wall-clock time, so that a history's two clocks agree. */
    private static long nanos(long epochMs) {
        return epochMs * 1_000_000;
    }

    private static ConsistencyToken token(int partition, long position) {
        return ConsistencyToken.of(NAMESPACE, new LogPosition(partition, position));
    }

    private static ConsistencyToken ingestToken(int partition, long position) {
        return ConsistencyToken.ofIngest(NAMESPACE, new LogPosition(partition, position));
    }

    private static String version(long epochMs, int writer) {
        return String.format(Locale.ROOT, "%016x%08x", epochMs << 16, writer);
    }
}
