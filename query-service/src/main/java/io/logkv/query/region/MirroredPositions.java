package io.logkv.query.region;

import io.logkv.core.DaemonThreads;
import io.logkv.core.KafkaConnection;
import io.logkv.core.HomeLease;
import io.logkv.core.MirrorPosition;
import io.logkv.core.RegionName;
import io.logkv.core.Timers;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the mirrors have carried other regions' truth into this region: the newest committed
 * {@link MirrorPosition} of every mirrored partition, read from this region's {@code logkv.mirror.positions}
 * (read_committed: a position is exactly as committed as the records it covers). It translates another
 * region's token position into this region's: a position p of the home region is covered here once a
 * mirror position of that partition says every source record below p is mirrored (next source offset ≥ p);
 * the records are then all at or below its last target offset, so a replica here that has applied past that
 * offset reflects every write the home region's token names.
 *
 * <p>The consumer starts with the first question (a region that mirrors nothing never reads the topic) and
 * runs on its own daemon thread. Questions wait, bounded by the reader's wait, without holding a thread.
 */
public final class MirroredPositions implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MirroredPositions.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final TopicPartition TOPIC_PARTITION = new TopicPartition(MirrorPosition.TOPIC, 0);

    private final KafkaConnection kafka;
    private final String clientId;
    private final Map<String, MirrorPosition> newest = new ConcurrentHashMap<>();
    /** The regions whose logs a mirror has carried into each partition of this region, by "topic/partition". */
    private final Map<String, Set<RegionName>> sources = new ConcurrentHashMap<>();
    /** Completes once the reader has read the positions topic to the end it had when the reader started (or found none). */
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private volatile Thread reader;
    private volatile boolean closed;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    private final MeterRegistry meters;

    public MirroredPositions(KafkaConnection kafka, String clientId, MeterRegistry meters) {
        this.kafka = kafka;
        this.clientId = clientId;
        this.meters = meters;
    }

    /**
     * How old this region's copy of a mirrored partition is, in ms: the time since the mirror last found it had
     * read the home region's partition to its end (refreshed by its heartbeats while quiet); -1 while unknown.
     */
    public static long lagMs(MirrorPosition position, long nowMs) {
        return position.caughtUpAtMs() < 0 ? -1 : Math.max(0, nowMs - position.caughtUpAtMs());
    }

    /**
     * The position in this region's copy of {@code topic}'s {@code partition} that covers {@code sourcePosition}
     * of {@code source}'s: completes with it once a mirror has carried the source that far, or with -1 when
     * {@code wait} passes first.
     */
    public CompletableFuture<Long> covering(RegionName source, String topic, int partition, long sourcePosition, Duration wait) {
        if (sourcePosition <= 0) {
            return CompletableFuture.completedFuture(0L);
        }
        startReader();
        String key = key(source, topic, partition);
        Waiter waiter = new Waiter(key, sourcePosition, new CompletableFuture<>());
        synchronized (waiters) {
            Long now = coveringNow(key, sourcePosition);
            if (now != null) {
                return CompletableFuture.completedFuture(now);
            }
            waiters.add(waiter);
        }
        Timers.after(wait.isNegative() ? Duration.ZERO : wait, () -> {
            synchronized (waiters) {
                waiters.remove(waiter);
            }
            waiter.answer().complete(-1L);
        });
        return waiter.answer();
    }

    /**
     * The regions whose logs a mirror has carried into {@code topic}'s {@code partition} in this region: once the
     * positions written before this node started are read, the regions known then and since; null when they are not
     * read within {@code wait}.
     */
    public CompletableFuture<Set<RegionName>> sources(String topic, int partition, Duration wait) {
        startReader();
        String key = topic + '/' + partition;
        if (loaded.isDone()) {
            return CompletableFuture.completedFuture(sources.getOrDefault(key, Set.of()));
        }
        CompletableFuture<Set<RegionName>> answer = new CompletableFuture<>();
        loaded.thenRun(() -> answer.complete(sources.getOrDefault(key, Set.of())));
        Timers.after(wait.isNegative() ? Duration.ZERO : wait, () -> answer.complete(null));
        return answer;
    }

    /** Starts reading the positions, ahead of the first question (a node of a named region, which may be promoted). */
    public void start() {
        startReader();
    }

    /** The newest position of a mirrored partition, if any mirror has carried it here. */
    public java.util.Optional<MirrorPosition> newest(RegionName source, String topic, int partition) {
        startReader();
        return java.util.Optional.ofNullable(newest.get(key(source, topic, partition)));
    }

    private Long coveringNow(String key, long sourcePosition) {
        MirrorPosition position = newest.get(key);
        if (position == null || position.nextSourceOffset() < sourcePosition) {
            return null;
        }
        return position.lastTargetOffset() + 1;
    }

    private void startReader() {
        if (reader != null || closed) {
            return;
        }
        synchronized (this) {
            if (reader != null || closed) {
                return;
            }
            reader = DaemonThreads.start("logkv-mirrored-positions", this::read);
        }
    }

    private void read() {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-mirrored-positions");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        while (!closed) {
            try (KafkaConsumer<byte[], byte[]> positions = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer = positions;
                if (positions.partitionsFor(MirrorPosition.TOPIC, Duration.ofSeconds(10)).isEmpty()) {
                    loaded.complete(null); // no mirror has written into this region yet
                    sleep(1_000);
                    continue;
                }
                positions.assign(List.of(TOPIC_PARTITION));
                positions.seekToBeginning(List.of(TOPIC_PARTITION));
                long end = positions.endOffsets(List.of(TOPIC_PARTITION)).get(TOPIC_PARTITION);
                while (!closed) {
                    for (ConsumerRecord<byte[], byte[]> record : positions.poll(POLL)) {
                        accept(record);
                    }
                    if (!loaded.isDone() && positions.position(TOPIC_PARTITION) >= end) {
                        loaded.complete(null);
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (!closed) {
                    log.warn("event=mirrored_positions_retry error={}", e.toString());
                    sleep(1_000);
                }
            }
        }
    }

    private void accept(ConsumerRecord<byte[], byte[]> record) {
        if (HomeLease.isGrantKey(record.key())) {
            return; // a home lease the mirror granted, not a position
        }
        MirrorPosition position;
        try {
            position = MirrorPosition.parse(record.key(), record.value());
        } catch (IllegalArgumentException e) {
            log.warn("event=mirrored_position_skipped offset={} error={}", record.offset(), e.getMessage());
            return;
        }
        String key = key(position.sourceRegion(), position.topic(), position.partition());
        sources.computeIfAbsent(position.topic() + '/' + position.partition(), partition -> ConcurrentHashMap.newKeySet())
                .add(position.sourceRegion());
        if (newest.put(key, position) == null) {
            Gauge.builder("logkv.region.copy.lag", () -> {
                        MirrorPosition now = newest.get(key);
                        return now == null ? Double.NaN : lagMs(now, System.currentTimeMillis()) / 1000.0;
                    })
                    .description("How old this region's copy of a mirrored partition is: seconds since the mirror last found the home"
                            + " region's partition read to its end (-0.001 while unknown)")
                    .baseUnit("seconds")
                    .tag("source", position.sourceRegion().value()).tag("topic", position.topic())
                    .tag("partition", Integer.toString(position.partition()))
                    .register(meters);
        }
        List<Waiter> answered = new ArrayList<>();
        synchronized (waiters) {
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter waiter = it.next();
                if (waiter.key().equals(key) && position.nextSourceOffset() >= waiter.sourcePosition()) {
                    answered.add(waiter);
                    it.remove();
                }
            }
        }
        answered.forEach(waiter -> waiter.answer().complete(position.lastTargetOffset() + 1));
    }

    private static String key(RegionName source, String topic, int partition) {
        return source.value() + '/' + topic + '/' + partition;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }

    private record Waiter(String key, long sourcePosition, CompletableFuture<Long> answer) {
    }
}
