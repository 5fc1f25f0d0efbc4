package io.logkv.local;

import io.logkv.local.HistoryChecks.Check;
import io.logkv.local.HistoryOp.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The checks of a fault run's time-to-live writes against the truth topic: a value is never served after
 * its expiry, every expiry is the one asked for, and the compactor's expiry tombstones erase only the value
 * that expired. Part of {@link HistoryChecks#all()}.
 */
final class ExpiryChecks {

    private final List<HistoryOp> history;
    private final TruthLog log;
    private final Map<Long, HistoryOp> byId;

    ExpiryChecks(List<HistoryOp> history, TruthLog log, Map<Long, HistoryOp> byId) {
        this.history = history;
        this.log = log;
        this.byId = byId;
    }

    /**
     * No value is served after its expiry (the node's clock is read between the read's invocation and its
     * answer): a key that has expired never reads back as that value, on any replica, whether or not its
     * expiry tombstone has reached it. (Reading it back as an older value is what the token and strong-read
     * checks rule out, for the clients the API promises it to.)
     */
    Check noValueServedPastItsExpiry() {
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (HistoryOp read : history) {
            if (!read.kind().isRead() || read.outcome() != Outcome.OBSERVED || read.observedAbsent()) {
                continue;
            }
            int index = log.indexOf(read.key(), read.version());
            if (index < 0) {
                continue;
            }
            TruthLog.Entry entry = log.entries(read.key()).get(index);
            if (entry.expiresAtMs() == 0) {
                continue;
            }
            checked++;
            if (entry.expiresAtMs() <= read.invokedEpochMs() - HistoryChecks.LATE_TOLERANCE_MS) {
                violations.add("served " + (read.invokedEpochMs() - entry.expiresAtMs()) + " ms past its expiry: " + read.describe()
                        + "; log: " + entry.describe());
            }
        }
        return new Check("no value served past its expiry (an expired key never reads back as present unless rewritten)", checked,
                violations);
    }

    /**
     * Expiry is what was asked: a value written with a time to live T carries an expiry T after a moment
     * between its request and its version (the owner's clock when it took it up), one written without
     * carries none; and every expiry tombstone the compactor wrote follows, in its key's log, the very value
     * it names as expired, and was versioned after that expiry, so that it never erases a later write.
     */
    Check expiriesAsAsked() {
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (List<TruthLog.Entry> entries : log.allKeys()) {
            for (int i = 0; i < entries.size(); i++) {
                TruthLog.Entry entry = entries.get(i);
                if (entry.expiryTombstone()) {
                    checked++;
                    TruthLog.Entry before = i == 0 ? null : entries.get(i - 1);
                    if (before == null || before.tombstone() || before.expiresAtMs() != entry.expiredAtMs()) {
                        violations.add("expiry tombstone not after the value it expires: " + entry.describe() + " follows "
                                + (before == null ? "nothing" : before.describe()));
                    } else if (entry.versionMs() < entry.expiredAtMs()) {
                        violations.add("expiry tombstone versioned " + (entry.expiredAtMs() - entry.versionMs())
                                + " ms before the expiry it names: " + entry.describe());
                    }
                    continue;
                }
                if (entry.tombstone()) {
                    continue;
                }
                HistoryOp op = byId.get(HistoryChecks.opIdOf(entry));
                if (op == null || !op.key().equals(entry.key())) {
                    continue; // noZombieRecords reports it
                }
                checked++;
                long ttlMs = HistoryOp.ttlMsInValue(op.value());
                if (ttlMs == 0) {
                    if (entry.expiresAtMs() != 0) {
                        violations.add("written without a time to live, yet expires: " + entry.describe() + " for " + op.describe());
                    }
                    continue;
                }
                long from = entry.expiresAtMs() - ttlMs;
                if (entry.expiresAtMs() == 0 || from < op.invokedEpochMs() - HistoryChecks.LATE_TOLERANCE_MS
                        || from > entry.versionMs() + HistoryChecks.LATE_TOLERANCE_MS) {
                    violations.add("time to live " + ttlMs + " ms not counted from between the request ("
                            + op.invokedEpochMs() + ") and the version (" + entry.versionMs() + "): " + entry.describe() + " for "
                            + op.describe());
                }
            }
        }
        return new Check("expiries as asked (" + HistoryChecks.LATE_TOLERANCE_MS
                + " ms tolerance); expiry tombstones only for the value that expired", checked, violations);
    }
}
