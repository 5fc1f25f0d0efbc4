package io.logkv.writer;

import io.logkv.core.CommandQueue;
import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writers' group loop: the one thread that owns this node's member of the writers' consumer group.
 * It only polls (and runs the commands other threads queue for its consumer), never waits for a
 * transaction, so a busy node keeps its membership. Its polls hand ingest records to their partitions'
 * writers, pause the ingest partitions whose writers cannot take more, and let idle writers check deadlines.
 */
final class WritersGroupLoop {

    private static final Logger log = LoggerFactory.getLogger(WritersGroupLoop.class);

    private final OwnerSettings settings;
    private final IngestRecords ingest;
    private final BooleanSupplier running;
    private final Runnable holdWhileStalled;
    private final CommandQueue<KafkaConsumer<byte[], byte[]>> commands = new CommandQueue<>(this::wakeUp);
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile Thread thread;
    /** The ingest topics the consumer subscribes to (loop thread only). */
    private Set<String> subscribed = Set.of();

    /**
     * @param running          whether to go on; checked between polls
     * @param holdWhileStalled fault injection: blocks while the node is stalled
     */
    WritersGroupLoop(OwnerSettings settings, IngestRecords ingest, BooleanSupplier running, Runnable holdWhileStalled) {
        this.settings = settings;
        this.ingest = ingest;
        this.running = running;
        this.holdWhileStalled = holdWhileStalled;
    }

    /** The group's consumer, or null before {@link #start}. */
    KafkaConsumer<byte[], byte[]> consumer() {
        return consumer;
    }

    boolean started() {
        return thread != null;
    }

    /** Joins the group as a node reachable at {@code advertisedUrl} and starts polling for {@code partitions}. */
    void start(String advertisedUrl, OwnedPartitions partitions) {
        consumer = groupConsumer(settings, advertisedUrl);
        thread = DaemonThreads.start("logkv-partition-owner", () -> loop(partitions));
    }

    /** Runs {@code command} on the loop's thread, soon (before the loop starts: once it does). */
    void run(Consumer<KafkaConsumer<byte[], byte[]>> command) {
        commands.post(command);
    }

    /** Subscribes to exactly these namespaces' ingest topics, which decides ownership. */
    void follow(Collection<NamespaceName> namespaces, OwnedPartitions partitions) {
        Set<String> topics = new HashSet<>();
        namespaces.forEach(ns -> topics.add(ns.ingestTopic()));
        run(groupConsumer -> {
            if (!topics.equals(subscribed)) {
                for (String topic : topics) {
                    if (!subscribed.contains(topic)) {
                        // Learn the new topic's metadata first: a group leader that assigns before it knows a
                        // topic leaves its partitions unowned until its next metadata refresh.
                        learnMetadata(groupConsumer, topic);
                    }
                }
                subscribed = Set.copyOf(topics);
                if (topics.isEmpty()) {
                    groupConsumer.unsubscribe();
                } else {
                    groupConsumer.subscribe(topics, partitions);
                }
            }
        });
    }

    private void learnMetadata(KafkaConsumer<byte[], byte[]> groupConsumer, String topic) {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                groupConsumer.partitionsFor(topic, settings.sessionTimeout());
                return;
            } catch (WakeupException e) {
                // a command arrived meanwhile; ask again
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                log.warn("event=topic_metadata_slow topic={}", topic);
                return;
            }
        }
    }

    /** Interrupts the consumer's poll, so the loop runs its commands or sees that it must stop. */
    void wakeUp() {
        KafkaConsumer<byte[], byte[]> groupConsumer = consumer;
        if (groupConsumer != null) {
            groupConsumer.wakeup();
        }
    }

    /** Waits up to {@code maxWaitMs} for the loop to end (once {@code running} says stop and it was woken). */
    void join(long maxWaitMs) {
        Thread loop = thread;
        if (loop != null) {
            try {
                loop.join(maxWaitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop(OwnedPartitions partitions) {
        try {
            while (running.getAsBoolean()) {
                try {
                    commands.runPending(consumer);
                    holdWhileStalled.run();
                    if (subscribed.isEmpty()) {
                        Thread.sleep(50);
                        continue;
                    }
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        offerIngest(partitions, record);
                    }
                    partitions.adjustFetching(consumer);
                    partitions.tick(consumer);
                } catch (WakeupException e) {
                    // a command is waiting
                } catch (RuntimeException e) {
                    // The loop must outlive any one failure: a node that leaves the group is worse than a failed poll.
                    log.error("event=owner_loop_error", e);
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            partitions.releaseAll();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void offerIngest(OwnedPartitions partitions, ConsumerRecord<byte[], byte[]> record) {
        NamespaceName ns = NamespaceName.ofTopic(record.topic());
        PartitionWriter writer = ns == null ? null : partitions.writer(ns.truthPartition(record.partition()));
        if (writer != null) {
            writer.offer(ingest.toWrite(record, writer.feedEpoch()));
        }
    }

    /** The consumer that joins the writers' group; its assignment is this node's ownership. */
    static KafkaConsumer<byte[], byte[]> groupConsumer(OwnerSettings settings, String advertisedUrl) {
        Properties props = settings.kafka().properties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, OwnerDirectory.clientIdFor(advertisedUrl));
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        // Cooperative: a rebalance moves only the partitions that change owner; the others keep writing.
        // Safe because fencing is by each partition's transactional id, not by the group's generation.
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, settings.sessionTimeout().toMillis() / 4));
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) settings.maxPollInterval().toMillis());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, settings.maxBatchRecords()));
        // The group leader re-balances when its metadata shows a subscribed topic it had not seen; refresh
        // often, so a new namespace is owned within seconds even if the leader assigned before knowing it.
        props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
