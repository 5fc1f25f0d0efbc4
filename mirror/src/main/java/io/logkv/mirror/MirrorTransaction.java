package io.logkv.mirror;

import io.logkv.core.MirrorHeaders;
import io.logkv.core.MirrorPosition;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * What a topic's mirror does while it mirrors, one transaction at a time: the records of its polls, copied
 * into the target, committed with the positions they bring the mirror to. Mirror's thread only.
 */
final class MirrorTransaction {

    private static final Duration POLL = Duration.ofMillis(200);
    /**
     * How recent the brokers' last answer to a fetch must be for a lag of 0 to count: four times the longest a caught-up
     * consumer waits for one (Kafka's {@code fetch.max.wait.ms}, 500 ms), so an idle, healthy mirror counts at every
     * poll even on a busy machine, and a cut-off one stops within two seconds.
     */
    private static final Duration FRESH_ANSWER = Duration.ofSeconds(2);

    private final MirrorSettings settings;
    private final String topic;
    private final MirrorClients clients;
    private final WrittenPositions written;
    private final HomeLeaseGrants grants;
    private final CopyCurrency currency;
    private final MirrorMeters meters;
    private final MirrorHooks hooks;
    private final MirrorProgressLog progress;

    MirrorTransaction(MirrorSettings settings, String topic, MirrorClients clients, WrittenPositions written, HomeLeaseGrants grants,
                      CopyCurrency currency, MirrorMeters meters, MirrorHooks hooks, MirrorProgressLog progress) {
        this.settings = settings;
        this.topic = topic;
        this.clients = clients;
        this.written = written;
        this.grants = grants;
        this.currency = currency;
        this.meters = meters;
        this.hooks = hooks;
        this.progress = progress;
    }

    /**
     * One transaction: polls of the source for up to the commit interval (or until a poll returns nothing, or
     * the transaction holds its most records), each poll's records sent while the next is fetched, then the
     * positions after them, committed together.
     */
    void mirrorOnce() throws InterruptedException {
        KafkaConsumer<byte[], byte[]> consumer = clients.consumer();
        KafkaProducer<byte[], byte[]> producer = clients.producer();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        long polledAtMs = System.currentTimeMillis();
        Set<Integer> caughtUp = caughtUp(consumer, polledAtMs);
        if (records.isEmpty()) {
            Map<Integer, MirrorPosition> quiet = written.quiet(consumer, caughtUp, polledAtMs, Set.of());
            ProducerRecord<byte[], byte[]> grant = grants.dueGrant(currency.completeAsOfMs());
            if (!quiet.isEmpty() || grant != null) {
                producer.beginTransaction();
                quiet.values().forEach(position -> producer.send(PositionsTopic.record(position)));
                if (grant != null) {
                    producer.send(grant);
                }
                producer.commitTransaction();
                written.committed(quiet);
                grants.committed();
            }
            progress.logIfDue();
            return;
        }
        long start = System.nanoTime();
        long commitBy = start + settings.commitInterval().toNanos();
        producer.beginTransaction();
        Map<TopicPartition, Future<RecordMetadata>> lastSent = new HashMap<>();
        Map<TopicPartition, ConsumerRecord<byte[], byte[]>> lastCopied = new HashMap<>();
        int count = 0;
        while (true) {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                if (cameFromTarget(record)) {
                    // Copied into the source from the target region (after a promotion): never carried back. The
                    // consumer's position moves past it, and the partition's position goes with the quiet ones.
                    continue;
                }
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                lastSent.put(partition, producer.send(MirroredRecords.toTarget(record, settings.sourceRegion())));
                lastCopied.put(partition, record);
                count++;
            }
            long left = commitBy - System.nanoTime();
            if (left <= 0 || count >= settings.maxTransactionRecords()) {
                break;
            }
            // The next poll asks for no more than the transaction still has room for.
            records = consumer.poll(Duration.ofNanos(Math.min(left, POLL.toNanos())));
            polledAtMs = System.currentTimeMillis();
            caughtUp = caughtUp(consumer, polledAtMs);
            if (records.isEmpty()) {
                break; // read to the end: commit now rather than hold the records back
            }
        }
        // The positions name the target offset of each partition's last record, known once it is sent.
        producer.flush();
        Map<Integer, MirrorPosition> mirrored = new HashMap<>();
        for (Map.Entry<TopicPartition, ConsumerRecord<byte[], byte[]>> copied : lastCopied.entrySet()) {
            TopicPartition partition = copied.getKey();
            ConsumerRecord<byte[], byte[]> last = copied.getValue();
            MirrorPosition earlier = written.last(partition.partition());
            // Past the last record, and past a commit marker after it when the consumer has read that far:
            // every source record below the consumer's position has been returned, so it is copied.
            long next = Math.max(last.offset() + 1, consumer.position(partition, settings.kafkaTimeout()));
            MirrorPosition position = new MirrorPosition(settings.sourceRegion(), topic, partition.partition(),
                    next, offsetOf(lastSent.get(partition)), last.timestamp(),
                    caughtUp.contains(partition.partition()) ? polledAtMs : earlier == null ? -1 : earlier.caughtUpAtMs());
            producer.send(PositionsTopic.record(position));
            mirrored.put(partition.partition(), position);
        }
        // The topic's other partitions may be quiet while these are busy: their positions go in the same transaction.
        Map<Integer, MirrorPosition> quiet = written.quiet(consumer, caughtUp, polledAtMs, mirrored.keySet());
        quiet.values().forEach(position -> producer.send(PositionsTopic.record(position)));
        mirrored.putAll(quiet);
        ProducerRecord<byte[], byte[]> grant = grants.dueGrant(currency.completeAsOfMs());
        if (grant != null) {
            producer.send(grant);
        }
        hooks.beforeCommit(topic);
        producer.commitTransaction();
        written.committed(mirrored);
        grants.committed();
        hooks.afterCommit(topic);
        meters.committed(count, System.nanoTime() - start);
        lastCopied.forEach((partition, last) -> meters.lastMirrored(partition.partition(), last.timestamp()));
        progress.copied(count);
        progress.logIfDue();
    }

    /** Whether a source record is itself a copy of a record of the target region. */
    private boolean cameFromTarget(ConsumerRecord<byte[], byte[]> record) {
        return settings.targetRegion().value().equals(MirrorHeaders.sourceRegionOf(record.headers()));
    }

    /**
     * The partitions the consumer has read to their end, as of its last poll at {@code polledAtMs} (and their lag meters
     * updated, and the copy's currency); none when the brokers answered no fetch within {@link #FRESH_ANSWER} before, so
     * that a mirror cut off from the source's brokers stops saying its copy is current (the positions' caught-up time, and
     * from it the copy's lag and a promotion's loss, then age; and the home lease, no longer renewed).
     */
    private Set<Integer> caughtUp(KafkaConsumer<byte[], byte[]> consumer, long polledAtMs) {
        boolean answered = polledAtMs - clients.lastFetchAnsweredMs(polledAtMs) <= FRESH_ANSWER.toMillis();
        Set<Integer> caughtUp = new HashSet<>();
        for (TopicPartition partition : consumer.assignment()) {
            consumer.currentLag(partition).ifPresent(lag -> {
                meters.lag(partition.partition(), lag);
                if (lag == 0 && answered) {
                    caughtUp.add(partition.partition());
                }
            });
        }
        currency.caughtUp(caughtUp, polledAtMs);
        return caughtUp;
    }

    private static long offsetOf(Future<RecordMetadata> sent) throws InterruptedException {
        try {
            return sent.get().offset();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof KafkaException kafka ? kafka : new KafkaException(e.getCause());
        }
    }
}
