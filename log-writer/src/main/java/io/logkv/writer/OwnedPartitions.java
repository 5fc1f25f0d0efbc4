package io.logkv.writer;

import io.logkv.core.NamespaceName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The truth partitions the writers' group has given this node, each with its {@link PartitionWriter}.
 * The group's callbacks run on the group loop, inside {@code poll()}; the writers map is read from any
 * thread.
 *
 * <p>Owning ingest partition <i>p</i> of a namespace means owning truth partition <i>p</i>. An ingest
 * partition is fetched only while its writer is writing and keeps up; the group loop pauses it otherwise.
 */
final class OwnedPartitions implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(OwnedPartitions.class);

    private final WriterServices services;
    private final Supplier<KafkaConsumer<byte[], byte[]>> consumer;
    private final Map<TopicPartition, PartitionWriter> writers = new ConcurrentHashMap<>();
    private final int maxQueuedIngest;
    private final Duration revokeWait;

    OwnedPartitions(WriterServices services, Supplier<KafkaConsumer<byte[], byte[]>> consumer) {
        this.services = services;
        this.consumer = consumer;
        OwnerSettings settings = services.settings();
        this.maxQueuedIngest = Math.max(1, settings.maxBatchRecords() * 2);
        Duration halfPoll = settings.maxPollInterval().dividedBy(2);
        this.revokeWait = settings.deliveryTimeout().compareTo(halfPoll) < 0 ? settings.deliveryTimeout() : halfPoll;
    }

    /** The writer of a truth partition this node owns, or null. */
    PartitionWriter writer(TopicPartition truthPartition) {
        return writers.get(truthPartition);
    }

    /** The partitions owned and writable (caught up). */
    Set<TopicPartition> ready() {
        Set<TopicPartition> ready = new HashSet<>();
        writers.forEach((tp, writer) -> {
            if (writer.state() == OwnershipState.WRITING) {
                ready.add(tp);
            }
        });
        return Set.copyOf(ready);
    }

    /** The partitions owned, caught up or still catching up. */
    Set<TopicPartition> assigned() {
        return Set.copyOf(writers.keySet());
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        for (TopicPartition ingestPartition : partitions) {
            NamespaceName ns = NamespaceName.ofTopic(ingestPartition.topic());
            if (ns == null) {
                continue;
            }
            // Nothing is fetched until the writer has fenced, caught up and positioned the partition.
            consumer.get().pause(List.of(ingestPartition));
            TopicPartition truth = ns.truthPartition(ingestPartition.partition());
            PartitionWriter writer = new PartitionWriter(truth, ingestPartition, services);
            PartitionWriter previous = writers.put(truth, writer);
            if (previous != null) {
                previous.close();
            }
            writer.start();
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        release(partitions, "revoked", true);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        release(partitions, "lost", false);
    }

    /** Stops every writer (at shutdown), waiting a bounded time for transactions in flight. */
    void releaseAll() {
        List<TopicPartition> ingest = new ArrayList<>();
        writers.values().forEach(writer -> ingest.add(writer.ingestPartition()));
        release(ingest, "stopping", true);
    }

    /**
     * A revoked partition's writer finishes the transaction it has in flight (bounded), so a rebalance does
     * not abort it; writes still waiting are answered {@link NotOwnerException} and go to the next owner.
     */
    private void release(Collection<TopicPartition> ingestPartitions, String why, boolean waitForInFlight) {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (TopicPartition ingestPartition : ingestPartitions) {
            NamespaceName ns = NamespaceName.ofTopic(ingestPartition.topic());
            if (ns == null) {
                continue;
            }
            PartitionWriter writer = writers.remove(ns.truthPartition(ingestPartition.partition()));
            if (writer != null) {
                closing.add(writer.close());
                services.meters().partitionReleased();
                log.info("event=partition_released partition={} reason={}", writer.partition(), why);
            }
        }
        if (waitForInFlight && !closing.isEmpty()) {
            try {
                CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(revokeWait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                log.warn("event=release_slow partitions={} waited_ms={}", ingestPartitions, revokeWait.toMillis());
            } catch (ExecutionException e) {
                log.warn("event=release_failed error={}", e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Fetches ingest records only for writers that are writing, keeping up and let by the home leases (group loop only). */
    void adjustFetching(KafkaConsumer<byte[], byte[]> groupConsumer) {
        Set<TopicPartition> paused = groupConsumer.paused();
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        for (PartitionWriter writer : writers.values()) {
            boolean wanted = writer.wantsIngest(maxQueuedIngest);
            boolean isPaused = paused.contains(writer.ingestPartition());
            if (wanted && isPaused) {
                resume.add(writer.ingestPartition());
            } else if (!wanted && !isPaused) {
                pause.add(writer.ingestPartition());
            }
        }
        Set<TopicPartition> assignment = groupConsumer.assignment();
        pause.retainAll(assignment);
        resume.retainAll(assignment);
        if (!pause.isEmpty()) {
            groupConsumer.pause(pause);
        }
        if (!resume.isEmpty()) {
            groupConsumer.resume(resume);
        }
    }

    /**
     * Lets writers that cannot write check their waiting writes' deadlines, and replaces a writer that
     * another node fenced while the group still gives this node its partition (group loop only). The
     * replacement waits a session timeout first: if the group has moved the partition, the revocation
     * arrives before then, and the other node is not fenced back.
     */
    void tick(KafkaConsumer<byte[], byte[]> groupConsumer) {
        long now = services.time().nanoTime();
        long patience = services.settings().sessionTimeout().toNanos();
        for (PartitionWriter writer : List.copyOf(writers.values())) {
            long closedAt = writer.closedAtNanos();
            if (closedAt != 0 && now - closedAt > patience && groupConsumer.assignment().contains(writer.ingestPartition())) {
                PartitionWriter fresh = new PartitionWriter(writer.partition(), writer.ingestPartition(), services);
                if (writers.replace(writer.partition(), writer, fresh)) {
                    groupConsumer.pause(List.of(writer.ingestPartition()));
                    log.warn("event=writer_replaced partition={} reason=fenced_while_assigned", writer.partition());
                    fresh.start();
                }
            } else {
                writer.tick();
            }
        }
    }
}
