package io.logkv.query.read;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.springframework.stereotype.Component;

/**
 * The end of a partition as its leader reports it (the high watermark). Every acknowledged write lies
 * below it. The last stable offset is not enough: a transaction is acknowledged once its commit decision
 * is durable, and the markers that make it visible reach the partition a moment later, so the last stable
 * offset can still sit before an acknowledged write. A read_committed replica whose position has reached
 * the high watermark has seen every transaction below it resolved, so it reflects them all. Strong reads
 * wait for it.
 *
 * <p>Lookups are shared, as etcd shares its read index: one lookup at a time is in flight, for every
 * partition asked about; a request arriving meanwhile joins the next lookup, which starts when the current
 * one completes. The next lookup starts after the request arrived, so its answer covers every write
 * acknowledged before the request: sharing keeps strong reads linearizable.
 */
@Component
public class CommittedEnds {

    private final Admin admin;
    private final Object lock = new Object();
    /** Requests waiting for the next lookup, by partition (guarded by lock). */
    private Map<TopicPartition, CompletableFuture<Long>> next = new HashMap<>();
    private boolean inFlight;

    public CommittedEnds(Admin admin) {
        this.admin = admin;
    }

    /** The partition's committed end, from a lookup that starts after this call; completes without holding a thread. */
    public CompletableFuture<Long> of(TopicPartition partition) {
        CompletableFuture<Long> answer;
        synchronized (lock) {
            answer = next.computeIfAbsent(partition, tp -> new CompletableFuture<>());
            if (inFlight) {
                return answer;
            }
            inFlight = true;
        }
        launch();
        return answer;
    }

    private void launch() {
        Map<TopicPartition, CompletableFuture<Long>> batch;
        synchronized (lock) {
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
        CompletableFuture.allOf(answered.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            synchronized (lock) {
                if (next.isEmpty()) {
                    inFlight = false;
                    return;
                }
            }
            launch();
        });
    }
}
