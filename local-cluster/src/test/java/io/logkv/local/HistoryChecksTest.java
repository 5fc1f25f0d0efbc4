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
 * The fault runs' checks find what they are meant to find: each violation, planted in a small history and
 * log, fails its check, and a clean history passes every check. Without this, a check that can never fail
 * would pass every randomized run.
 */
class HistoryChecksTest {

    private static final String KEY = "k-00";
    private static final int PARTITION = ProcessCluster.partitionOf(KEY);
    private static final String COUNTER = "counter-0";
    private static final int COUNTER_PARTITION = ProcessCluster.partitionOf(COUNTER);

    @Test
    void aCleanHistoryPassesEveryCheck() {
        List<HistoryOp> history = List.of(
                put(1, "op=1;a", version(1000, 1), 0, 10),
                put(2, "op=2;b", version(1020, 1), 20, 30),
                read(3, Kind.SESSION_READ, KEY, 200, version(1020, 1), "op=2;b", token(PARTITION, 2), token(PARTITION, 2), 40, 50),
                read(4, Kind.STRONG_READ, KEY, 200, version(1020, 1), "op=2;b", null, token(PARTITION, 2), 40, 50),
                cas(5, null, "op=5;n=1;", Outcome.ACK, version(1060, 2), 60, 70),
                read(6, Kind.STRONG_READ, COUNTER, 200, version(1060, 2), "op=5;n=1;", null, token(COUNTER_PARTITION, 1), 80, 90));
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(KEY, PARTITION, 0, version(1000, 1), false, "op=1;a", "op-1"),
                new TruthLog.Entry(KEY, PARTITION, 1, version(1020, 1), false, "op=2;b", "op-2"),
                new TruthLog.Entry(COUNTER, COUNTER_PARTITION, 0, version(1060, 2), false, "op=5;n=1;", "op-5")));

        List<Check> checks = new HistoryChecks(history, log).all();

        assertThat(checks).allSatisfy(check -> assertThat(check.violations()).as(check.name()).isEmpty());
    }

    @Test
    void anAcknowledgedWriteMissingFromTheLogIsLost() {
        List<HistoryOp> history = List.of(put(1, "op=1;a", version(1000, 1), 0, 10));

        Check check = new HistoryChecks(history, TruthLog.of(List.of())).acknowledgedWritesCommitted();

        assertThat(check.violations()).singleElement().asString().startsWith("lost:");
    }

    @Test
    void aRecordOfAWriteAnswered412OrCommittedTwiceIsAZombie() {
        HistoryOp refused = new HistoryOp(1, "c", Kind.PUT_IF_ABSENT, KEY, "n", 0, 10, 10, "*", "op-1", "op=1;a", null, 1,
                Outcome.CONDITION_FAILED, 412, null, null, null, null, null, null);
        HistoryOp twice = put(2, "op=2;b", version(1020, 1), 20, 30);
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(KEY, PARTITION, 0, version(1000, 1), false, "op=1;a", "op-1"),
                new TruthLog.Entry(KEY, PARTITION, 1, version(1020, 1), false, "op=2;b", "op-2"),
                new TruthLog.Entry(KEY, PARTITION, 2, version(1025, 1), false, "op=2;b", "op-2")));

        Check check = new HistoryChecks(List.of(refused, twice), log).noZombieRecords();

        assertThat(check.violations()).anyMatch(v -> v.startsWith("zombie")).anyMatch(v -> v.startsWith("committed 2 times"))
                .anyMatch(v -> v.startsWith("committed with another version"));
    }

    @Test
    void aReadOlderThanItsTokenIsFound() {
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(KEY, PARTITION, 0, version(1000, 1), false, "op=1;a", "op-1"),
                new TruthLog.Entry(KEY, PARTITION, 1, version(1020, 1), false, "op=2;b", "op-2")));
        // The token covers offset 1 (position 2): the read must return op 2's record or a later one.
        HistoryOp stale = read(3, Kind.SESSION_READ, KEY, 200, version(1000, 1), "op=1;a", token(PARTITION, 2), token(PARTITION, 2), 40, 50);
        HistoryOp absent = read(4, Kind.SESSION_READ, KEY, 404, null, null, token(PARTITION, 2), token(PARTITION, 2), 40, 50);
        HistoryOp shrunk = read(5, Kind.SESSION_READ, KEY, 200, version(1020, 1), "op=2;b", token(PARTITION, 2), token(PARTITION, 1), 40, 50);
        List<HistoryOp> history = List.of(put(1, "op=1;a", version(1000, 1), 0, 10), put(2, "op=2;b", version(1020, 1), 20, 30),
                stale, absent, shrunk);

        Check check = new HistoryChecks(history, log).readsNotOlderThanTheirToken();

        assertThat(check.violations()).anyMatch(v -> v.startsWith("read older than its token"))
                .anyMatch(v -> v.startsWith("404 under a token")).anyMatch(v -> v.startsWith("answer's token demands less"))
                .anyMatch(v -> v.startsWith("read's answer token does not cover"));
    }

    @Test
    void aStrongReadMissingAnEarlierAcknowledgedWriteIsFound() {
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(KEY, PARTITION, 0, version(1000, 1), false, "op=1;a", "op-1"),
                new TruthLog.Entry(KEY, PARTITION, 1, version(1020, 1), false, "op=2;b", "op-2")));
        List<HistoryOp> history = List.of(put(1, "op=1;a", version(1000, 1), 0, 10), put(2, "op=2;b", version(1020, 1), 20, 30),
                read(3, Kind.STRONG_READ, KEY, 200, version(1000, 1), "op=1;a", null, token(PARTITION, 1), 40, 50));

        assertThat(new HistoryChecks(history, log).strongReadsSeeEveryEarlierAcknowledgedWrite().violations()).hasSize(1);
    }

    @Test
    void twoCompareAndSetsFromTheSameStateBothAcknowledgedAreNotLinearizable() {
        List<HistoryOp> history = List.of(
                cas(1, null, "op=1;n=1;", Outcome.ACK, version(1000, 1), 0, 10),
                cas(2, null, "op=2;n=1;", Outcome.ACK, version(1020, 2), 20, 30));
        TruthLog log = TruthLog.of(List.of(
                new TruthLog.Entry(COUNTER, COUNTER_PARTITION, 0, version(1000, 1), false, "op=1;n=1;", "op-1"),
                new TruthLog.Entry(COUNTER, COUNTER_PARTITION, 1, version(1020, 2), false, "op=2;n=1;", "op-2")));

        assertThat(new HistoryChecks(history, log).countersLinearizable().violations()).singleElement().asString()
                .contains("not linearizable");
    }

    @Test
    void aVersionTheLogDoesNotHoldIsAnUncommittedRecordServed() {
        List<HistoryOp> history = List.of(read(1, Kind.SESSION_READ, KEY, 200, version(1000, 9), "op=7;x", null, token(PARTITION, 1), 0, 10));

        assertThat(new HistoryChecks(history, TruthLog.of(List.of())).readsServeOnlyCommittedRecords().violations()).singleElement()
                .asString().startsWith("served a version the log does not hold");
    }

    private static HistoryOp put(long id, String value, String version, long invoked, long returned) {
        return new HistoryOp(id, "c", Kind.PUT, KEY, "n", invoked, returned, returned, null, "op-" + id, value, null, 1, Outcome.ACK, 200,
                null, version, null, null, token(PARTITION, 1), null);
    }

    private static HistoryOp cas(long id, String expected, String value, Outcome outcome, String version, long invoked, long returned) {
        return new HistoryOp(id, "c", Kind.CAS_PUT, COUNTER, "n", invoked, returned, returned, expected == null ? "*" : "v", "op-" + id,
                value, expected, 1, outcome, outcome == Outcome.ACK ? 200 : 412, null, outcome == Outcome.ACK ? version : null, null, null,
                token(COUNTER_PARTITION, 1), null);
    }

    private static HistoryOp read(long id, Kind kind, String key, int status, String version, String value, String tokenSent,
                                  String tokenReceived, long invoked, long returned) {
        return new HistoryOp(id, "c", kind, key, "n", invoked, returned, returned, null, null, null, null, 1, Outcome.OBSERVED, status,
                status == 404 ? "key-not-found" : null, version, value, tokenSent, tokenReceived, null);
    }

    private static String token(int partition, long position) {
        return ConsistencyToken.of(new NamespaceName(LogKvHttp.NAMESPACE), new LogPosition(partition, position)).encode();
    }

    private static String version(long epochMs, int writer) {
        return String.format(Locale.ROOT, "%016x%08x", epochMs << 16, writer);
    }
}
