package io.logkv.query.read;

import io.logkv.core.ProblemTypes;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.AsyncFailures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The end of a partition as its leader reports it (the high watermark). Every acknowledged write lies
 * below it. The last stable offset is not enough: a transaction is acknowledged once its commit decision
 * is durable, and the markers that make it visible reach the partition a moment later, so the last stable
 * offset can still sit before an acknowledged write. A read_committed replica whose position has reached
 * the high watermark has seen every transaction below it resolved, so it reflects them all. Strong reads
 * wait for it.
 *
 * <p>Lookups are shared, as etcd shares its read index: at most {@code logkv.replicas.strong-lookups-in-flight}
 * lookups are in flight at once, each for every partition asked about when it started; a request arriving while
 * they all are joins the next lookup, which starts when one of them completes. A lookup only ever answers the
 * requests that arrived before it started, so its answer covers every write acknowledged before each of them:
 * sharing keeps strong reads linearizable. With two in flight, a request arriving during a lookup need not wait
 * that lookup out before its own starts: shorter waits where the round trip to the brokers is the cost, more
 * lookups for the brokers to answer (one in flight is the default).
 *
 * <p>A strong read waits for its lookup within its own wait ({@code wait_ms}, at least
 * {@code logkv.replicas.strong-read-min-wait}), and is answered 503 {@code not-caught-up} when the lookup has not
 * answered by then (brokers unreachable, a leader moving); the lookup itself goes on for the others sharing it.
 */
@Component
public class CommittedEnds {

    private final Admin admin;
    private final int maxInFlight;
    private final Duration minWait;
    private final Object lock = new Object();
    /** Requests waiting for the next lookup, by partition (guarded by lock). */
    private Map<TopicPartition, CompletableFuture<Long>> next = new HashMap<>();
    /** Lookups started and not yet complete, counting one about to start (guarded by lock). */
    private int inFlight;

    @Autowired
    public CommittedEnds(Admin admin, LogKvProperties props) {
        this(admin, props.replicas().strongLookupsInFlight(), props.replicas().strongReadMinWait());
    }

    CommittedEnds(Admin admin, int maxInFlight, Duration minWait) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("logkv.replicas.strong-lookups-in-flight must be at least 1");
        }
        if (minWait.isNegative()) {
            throw new IllegalArgumentException("logkv.replicas.strong-read-min-wait must not be negative: " + minWait);
        }
        this.admin = admin;
        this.maxInFlight = maxInFlight;
        this.minWait = minWait;
    }

    /**
     * The partition's committed end for one strong read, from a lookup that starts after this call, within
     * {@code wait} (or the least wait a strong read is given, when longer); fails with a 503 {@link ApiProblem}
     * when the lookup has not answered by then. Completes without holding a thread.
     */
    public CompletableFuture<Long> of(TopicPartition partition, Duration wait) {
        Duration bound = wait.compareTo(minWait) < 0 ? minWait : wait;
        // A copy: the lookup's own answer is shared, and one read giving up must not fail the others.
        return of(partition).copy().orTimeout(bound.toNanos(), TimeUnit.NANOSECONDS).exceptionally(failure -> {
            if (AsyncFailures.cause(failure) instanceof TimeoutException) {
                throw ApiProblem.unavailable(ProblemTypes.NOT_CAUGHT_UP, "Log end not learned",
                        "the end of " + partition + " could not be learned from its leader within " + bound.toMillis()
                                + " ms; retry, or allow a longer wait_ms", Duration.ofSeconds(1));
            }
            throw failure instanceof CompletionException completion ? completion : new CompletionException(failure);
        });
    }

    /** The partition's committed end, from a lookup that starts after this call; completes without holding a thread. */
    public CompletableFuture<Long> of(TopicPartition partition) {
        CompletableFuture<Long> answer;
        synchronized (lock) {
            answer = next.computeIfAbsent(partition, tp -> new CompletableFuture<>());
            if (inFlight >= maxInFlight) {
                return answer;
            }
            inFlight++;
        }
        launch();
        return answer;
    }

    /** Starts a lookup for every request waiting; the caller has counted it in {@code inFlight}. */
    private void launch() {
        Map<TopicPartition, CompletableFuture<Long>> batch;
        synchronized (lock) {
            if (next.isEmpty()) {
                inFlight--; // another lookup, started meanwhile, took every request
                return;
            }
            batch = next;
            next = new HashMap<>();
        }
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        batch.keySet().forEach(tp -> specs.put(tp, OffsetSpec.latest()));
        List<CompletableFuture<?>> answered = new ArrayList<>(batch.size());
        try {
            ListOffsetsResult result = admin.listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED));
            batch.forEach((tp, waiting) -> answered.add(result.partitionResult(tp).toCompletionStage().toCompletableFuture()
                    .whenComplete((info, error) -> {
                        if (error != null) {
                            waiting.completeExceptionally(error);
                        } else {
                            waiting.complete(info.offset());
                        }
                    })));
        } catch (RuntimeException e) {
            batch.values().forEach(waiting -> waiting.completeExceptionally(e));
        }
        CompletableFuture.allOf(answered.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> launch());
    }
}
