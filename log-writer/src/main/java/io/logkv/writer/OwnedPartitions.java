package io.logkv.writer;

import io.logkv.core.NamespaceName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The truth partitions the writers' group has given this node, and how they come and go. Runs on the
 * owner's thread: the group's callbacks fire inside {@code poll()}, between transactions.
 *
 * <p>A partition assigned here is not writable at once: its committed ingest offsets are fetched with
 * {@code require_stable} (so the previous owner's last transaction is resolved first), then its replica
 * must apply the partition's high watermark. Writes for it are parked until then.
 */
final class OwnedPartitions implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(OwnedPartitions.class);

    private final OwnerSettings settings;
    private final Supplier<KafkaConsumer<byte[], byte[]>> consumer;
    private final OwnerTransactions transactions;
    private final StateLookup state;
    private final IngestRecords ingest;
    private final RecentWrites recent;
    private final Queue<Runnable> commands;
    private final Map<TopicPartition, Ownership> owned = new HashMap<>();
    private volatile Set<TopicPartition> ready = Set.of();
    private volatile Set<TopicPartition> assigned = Set.of();

    OwnedPartitions(OwnerSettings settings, Supplier<KafkaConsumer<byte[], byte[]>> consumer, OwnerTransactions transactions,
                    StateLookup state, IngestRecords ingest, RecentWrites recent, Queue<Runnable> commands) {
        this.settings = settings;
        this.consumer = consumer;
        this.transactions = transactions;
        this.state = state;
        this.ingest = ingest;
        this.recent = recent;
        this.commands = commands;
    }

    /** The partitions owned and caught up with (readable from any thread). */
    Set<TopicPartition> ready() {
        return ready;
    }

    /** The partitions owned, caught up or still catching up (readable from any thread). */
    Set<TopicPartition> assigned() {
        return assigned;
    }

    /** Adds a write to the batch if this node owns its partition and has caught up; parks it while catching up. */
    boolean admit(PendingWrite pending, List<PendingWrite> batch) {
        TopicPartition tp = pending.truthPartition();
        Ownership ownership = owned.get(tp);
        if (ownership == null) {
            pending.result().completeExceptionally(new NotOwnerException(tp));
            return false;
        }
        if (!ownership.caughtUp) {
            ownership.parked.add(pending);
            return false;
        }
        batch.add(pending);
        return true;
    }

    /** Moves writes parked for partitions that have now caught up into the batch; fails those waiting too long. */
    void releaseCaughtUp(List<PendingWrite> batch, BiConsumer<List<PendingWrite>, WriteFailedException> fail) {
        long now = System.nanoTime();
        for (Ownership ownership : owned.values()) {
            if (ownership.caughtUp) {
                batch.addAll(ownership.parked);
                ownership.parked.clear();
            } else if (now - ownership.assignedAtNanos > settings.catchUpTimeout().toNanos() && !ownership.parked.isEmpty()) {
                fail.accept(List.copyOf(ownership.parked),
                        new WriteFailedException("the new owner is still catching up with the partition", null, false));
                ownership.parked.clear();
            }
        }
    }

    /** Every write still parked (to fail them at shutdown). */
    List<PendingWrite> parked() {
        List<PendingWrite> all = new ArrayList<>();
        owned.values().forEach(o -> all.addAll(o.parked));
        return all;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        release(partitions, "revoked");
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        release(partitions, "lost");
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        for (TopicPartition ingestPartition : partitions) {
            NamespaceName ns = NamespaceName.ofTopic(ingestPartition.topic());
            if (ns == null) {
                continue;
            }
            // position() fetches committed offsets with require_stable: it returns only once the
            // previous owner's last transaction is committed or aborted (KIP-447).
            ingest.assigned(ingestPartition, stablePosition(ingestPartition));
            TopicPartition tp = new TopicPartition(ns.truthTopic(), ingestPartition.partition());
            Ownership ownership = new Ownership(System.nanoTime());
            owned.put(tp, ownership);
            publish();
            catchUp(tp, ownership, -1);
        }
    }

    /** Waits for this node's replica to apply the partition's committed end, then takes writes for it. */
    private void catchUp(TopicPartition tp, Ownership ownership, long appliedBefore) {
        NamespaceName ns = NamespaceName.ofTopic(tp.topic());
        transactions.committedEnd(tp)
                .thenCompose(end -> state.awaitApplied(ns, tp.partition(), end, settings.catchUpTimeout()))
                .whenComplete((caughtUp, error) -> commands.add(() -> caughtUp(tp, ownership, Boolean.TRUE.equals(caughtUp), error, appliedBefore)));
    }

    private void caughtUp(TopicPartition tp, Ownership ownership, boolean caughtUp, Throwable error, long appliedBefore) {
        if (owned.get(tp) != ownership) {
            return; // revoked meanwhile
        }
        if (caughtUp) {
            ownership.caughtUp = true;
            publish();
            log.info("event=partition_owned partition={} catch_up_ms={}", tp, (System.nanoTime() - ownership.assignedAtNanos) / 1_000_000);
            return;
        }
        long applied = state.appliedPosition(NamespaceName.ofTopic(tp.topic()), tp.partition());
        if (error == null && applied > appliedBefore) {
            // A replica that was not here before is replaying a long log: it is getting there, so keep
            // the partition (its writes wait, then fail with 503) rather than hand it to a node as cold.
            log.info("event=catch_up_continues partition={} applied_position={}", tp, applied);
            catchUp(tp, ownership, applied);
        } else {
            log.warn("event=catch_up_failed partition={} error={}", tp, error == null ? "no progress" : error.toString());
            consumer.get().enforceRebalance("could not catch up with " + tp);
        }
    }

    /** The committed position, waiting through wake-ups (a write arriving must not lose an assignment). */
    private long stablePosition(TopicPartition ingestPartition) {
        while (true) {
            try {
                return consumer.get().position(ingestPartition, settings.maxPollInterval());
            } catch (WakeupException e) {
                // a write was queued meanwhile; it waits for this assignment anyway
            }
        }
    }

    private void release(Collection<TopicPartition> partitions, String why) {
        for (TopicPartition ingestPartition : partitions) {
            NamespaceName ns = NamespaceName.ofTopic(ingestPartition.topic());
            if (ns == null) {
                continue;
            }
            TopicPartition tp = new TopicPartition(ns.truthTopic(), ingestPartition.partition());
            Ownership ownership = owned.remove(tp);
            recent.forget(tp);
            if (ownership != null) {
                ownership.parked.forEach(p -> p.result().completeExceptionally(new NotOwnerException(tp)));
                log.info("event=partition_released partition={} reason={}", tp, why);
            }
        }
        ingest.released(partitions);
        publish();
    }

    private void publish() {
        Set<TopicPartition> caughtUp = new HashSet<>();
        owned.forEach((tp, ownership) -> {
            if (ownership.caughtUp) {
                caughtUp.add(tp);
            }
        });
        ready = Set.copyOf(caughtUp);
        assigned = Set.copyOf(owned.keySet());
    }

    /** One owned partition: whether it has caught up, and the writes waiting until it has. */
    private static final class Ownership {
        final long assignedAtNanos;
        final List<PendingWrite> parked = new ArrayList<>();
        boolean caughtUp;

        Ownership(long assignedAtNanos) {
            this.assignedAtNanos = assignedAtNanos;
        }
    }
}
