package io.logkv.writer;

import io.logkv.core.HybridClock;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.LogPosition;
import io.logkv.core.Version;
import io.logkv.core.WriteCondition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * What the owner decides for one batch, before anything is sent: which writes are retries already
 * answered (idempotency), which fail their condition, which are accepted with which new version, and
 * which ingest records become dead letters. Later writes in a batch see the earlier ones, exactly as if
 * they had been committed one by one.
 *
 * @param accepted    writes to send, with their versions
 * @param rejected    writes whose condition failed, with the version they met (answered after the commit)
 * @param deadLetters ingest records not applied
 */
record BatchPlan(List<Accepted> accepted, List<Rejected> rejected, List<ProducerRecord<byte[], byte[]>> deadLetters) {

    /** An accepted write and the version it will create. */
    record Accepted(PendingWrite pending, TopicPartition tp, Version version) {
    }

    /** A write whose condition did not hold, and the key's version at that point. */
    record Rejected(PendingWrite pending, Version current) {
    }

    static BatchPlan decide(List<PendingWrite> batch, RecentWrites recent, StateLookup state, IngestRecords ingest,
                            HybridClock clock, int writerId, Duration idempotencyWindow, long now) {
        Map<String, RecentWrites.Entry> tentative = new HashMap<>();
        Map<String, PendingWrite> firstWithKey = new HashMap<>();
        BatchPlan plan = new BatchPlan(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (PendingWrite pending : batch) {
            WriteRequest request = pending.request();
            if (request == null) {
                plan.deadLetters.add(ingest.deadLetter(pending.source(), pending.source().malformedReason()));
                continue;
            }
            TopicPartition tp = pending.truthPartition();
            if (request.idempotencyKey() != null
                    && answeredBefore(pending, tp, firstWithKey, recent, state, idempotencyWindow.toMillis(), now)) {
                continue;
            }
            String slot = tp + "/" + Base64.getEncoder().encodeToString(request.key());
            if (!(request.condition() instanceof WriteCondition.Always)
                    && rejected(pending, storedVersion(tp, request, tentative.get(slot), recent, state), plan, ingest, now)) {
                continue;
            }
            Version version = new Version(clock.next(), writerId);
            tentative.put(slot, new RecentWrites.Entry(version, request.isDelete(), request.expiresAtMs(), Long.MAX_VALUE));
            plan.accepted.add(new Accepted(pending, tp, version));
        }
        return plan;
    }

    /**
     * Whether the write's condition fails against the value the key holds (an unconditional write has nothing
     * to check, and is never looked up); a failed write is answered with the version it met.
     */
    private static boolean rejected(PendingWrite pending, StoredVersion stored, BatchPlan plan, IngestRecords ingest, long now) {
        boolean expired = stored != null && stored.expiredAt(now);
        Version met = stored == null ? null : stored.version();
        if (pending.request().condition().holds(met, expired)) {
            return false;
        }
        Version current = expired ? null : met;
        plan.rejected.add(new Rejected(pending, current));
        if (pending.source() != null) {
            plan.deadLetters.add(ingest.deadLetter(pending.source(), "precondition failed: current version "
                    + (current == null ? "none" : current.text())));
        }
        return true;
    }

    /**
     * Whether a write with an idempotency key is a retry of one already written (by this owner, by a
     * previous owner as the log shows, or earlier in this very batch); if so it is answered with the first
     * outcome and writes nothing.
     */
    private static boolean answeredBefore(PendingWrite pending, TopicPartition tp, Map<String, PendingWrite> firstWithKey,
                                          RecentWrites recent, StateLookup state, long windowMs, long now) {
        WriteRequest request = pending.request();
        byte[] key = idempotencyBytes(request);
        IdempotentOutcome outcome = recent.outcome(tp, key);
        if (outcome == null) {
            outcome = state.previousOutcome(request.namespace(), tp.partition(), key);
        }
        if (outcome != null && outcome.answers(request.key(), now, windowMs)) {
            pending.result().complete(new WriteOutcome(outcome.version(), new LogPosition(tp.partition(), outcome.position())));
            return true;
        }
        PendingWrite first = firstWithKey.putIfAbsent(tp + "/" + request.idempotencyKey(), pending);
        if (first != null) {
            first.result().whenComplete((result, error) -> {
                if (error != null) {
                    pending.result().completeExceptionally(error);
                } else {
                    pending.result().complete(result);
                }
            });
            return true;
        }
        return false;
    }

    /**
     * The value the key holds as the owner knows it, expired or not: this batch, then its recent commits, then
     * its replica.
     */
    private static StoredVersion storedVersion(TopicPartition tp, WriteRequest request, RecentWrites.Entry inBatch,
                                               RecentWrites recent, StateLookup state) {
        if (inBatch != null) {
            return inBatch.stored();
        }
        RecentWrites.Entry mine = recent.get(tp, request.key());
        if (mine != null) {
            return mine.stored();
        }
        return state.stored(request.namespace(), tp.partition(), request.key());
    }

    static byte[] idempotencyBytes(WriteRequest request) {
        return request.idempotencyKey().getBytes(StandardCharsets.UTF_8);
    }
}
