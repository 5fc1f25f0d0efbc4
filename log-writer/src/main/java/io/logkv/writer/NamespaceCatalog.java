package io.logkv.writer;

import io.logkv.core.DaemonThreads;
import io.logkv.core.HomeLease;
import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.NodeTime;
import io.logkv.core.PositionWaits;
import io.logkv.core.RegionName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of the namespace registry topic, kept in memory and replayed from the start at every
 * boot (the registry is small and compacted). Listeners hear of every namespace created, changed or
 * deleted, in log order, on a thread of their own ({@link NamespaceListeners}): a slow listener never holds the
 * view back.
 *
 * <p>The view also holds the home leases other regions granted on this region's namespaces, and knows how
 * fresh it is: now and then the catalog asks for the registry's end and notes, once it has read that far, the
 * moment it asked ({@link #freshAsOfNanos()}). A node acknowledges writes only while that moment is recent
 * ({@link HomeLeases}): a lease required since then would otherwise go unseen.
 */
public final class NamespaceCatalog implements AutoCloseable {

    /** Hears of namespace changes; {@code settings} is null when the namespace was deleted. */
    @FunctionalInterface
    public interface Listener {
        void changed(NamespaceName namespace, NamespaceSettings settings);
    }

    /** How old the view may grow before writes are refused, unless told otherwise. */
    public static final Duration DEFAULT_MAX_VIEW_AGE = Duration.ofSeconds(15);

    private static final Logger log = LoggerFactory.getLogger(NamespaceCatalog.class);

    private final NamespaceRegistryView view = new NamespaceRegistryView();
    private final Consumer<byte[], byte[]> consumer;
    private final PositionWaits catchUp = new PositionWaits(0, new AtomicInteger(), 10_000, WriterOverloadedException::new);
    private final NamespaceListeners listeners = new NamespaceListeners();
    private final Thread reader;
    private final NodeTime time;
    private final Duration maxViewAge;
    /** How often the registry's end is asked for. */
    private final Duration endCheckInterval;
    /** The bound of each ask: an answer later than the maximum age is of no use. */
    private final Duration endAskTimeout;
    private volatile boolean running = true;
    private volatile long lagRecords = -1;
    /** The end asked for and not read up to yet, -1 when none (reader thread only); and when it was asked for. */
    private long pendingEnd = -1;
    private long pendingAskedAtNanos;
    private long lastAskNanos;
    private boolean askedOnce;

    public NamespaceCatalog(String bootstrapServers, String clientId) {
        this(KafkaConnection.of(bootstrapServers), clientId);
    }

    public NamespaceCatalog(KafkaConnection kafka, String clientId) {
        this(kafka, clientId, NodeTime.SYSTEM, DEFAULT_MAX_VIEW_AGE);
    }

    /**
     * @param time       the clocks the view's freshness is measured with (those of the node's writers)
     * @param maxViewAge how old the view may be when a write is acknowledged ({@code logkv.region.lease-view-staleness}):
     *                   the registry's end is asked for every second, or every quarter of this if shorter
     */
    public NamespaceCatalog(KafkaConnection kafka, String clientId, NodeTime time, Duration maxViewAge) {
        this(registryConsumer(kafka, clientId), time, maxViewAge);
    }

    /** A catalog reading the registry through {@code consumer} (a test's {@code MockConsumer}), which it closes. */
    NamespaceCatalog(Consumer<byte[], byte[]> consumer, NodeTime time, Duration maxViewAge) {
        if (maxViewAge.isNegative() || maxViewAge.isZero()) {
            throw new IllegalArgumentException("the namespace registry's view needs a positive maximum age");
        }
        this.consumer = consumer;
        this.time = time;
        this.maxViewAge = maxViewAge;
        this.endCheckInterval = endCheckInterval(maxViewAge);
        this.endAskTimeout = maxViewAge.compareTo(Duration.ofSeconds(5)) < 0 ? maxViewAge : Duration.ofSeconds(5);
        this.reader = DaemonThreads.named("logkv-namespace-catalog").newThread(this::run);
        view.listen(listeners::changed);
    }

    private static Consumer<byte[], byte[]> registryConsumer(KafkaConnection kafka, String clientId) {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        // Committed records only, and the end asked for is the last stable offset: what a reader can reach.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Every second, or a quarter of the maximum age if that is shorter, but no more often than every 100 ms. */
    static Duration endCheckInterval(Duration maxViewAge) {
        Duration quarter = maxViewAge.dividedBy(4);
        Duration interval = quarter.compareTo(Duration.ofSeconds(1)) < 0 ? quarter : Duration.ofSeconds(1);
        return interval.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : interval;
    }

    /**
     * Adds a listener; it first hears of every namespace known so far. Call before {@link #start()}. Listeners are
     * called one at a time, on a thread of their own, never on a thread that reads the view.
     */
    public void listen(Listener listener) {
        listeners.add(listener);
    }

    public void start() {
        consumer.assign(List.of(NamespaceRegistryTopic.PARTITION));
        consumer.seekToBeginning(List.of(NamespaceRegistryTopic.PARTITION));
        listeners.start();
        reader.start();
    }

    /** The settings of a namespace, or empty when it does not exist. */
    public Optional<NamespaceSettings> settings(NamespaceName namespace) {
        return view.settings(namespace);
    }

    /** Every namespace, by name. */
    public Map<NamespaceName, NamespaceSettings> all() {
        Map<NamespaceName, NamespaceSettings> sorted = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));
        sorted.putAll(view.namespaces());
        return sorted;
    }

    /** The home leases on {@code namespace} as the registry holds them, by granting region; empty when none was required. */
    public Map<RegionName, HomeLease> homeLeases(NamespaceName namespace) {
        return view.leases(namespace);
    }

    /**
     * When the catalog last asked for the registry's end (a {@link NodeTime#nanoTime()} of its clocks), of an end it
     * has read up to since: the view holds everything committed to the registry before then. Empty until the first.
     */
    public OptionalLong freshAsOfNanos() {
        return view.freshAsOfNanos();
    }

    /** How old the view may be when a write is acknowledged. */
    public Duration maxViewAge() {
        return maxViewAge;
    }

    /** The clocks the view's freshness is measured with. */
    public NodeTime time() {
        return time;
    }

    /** Completes with true once the view holds the registry up to {@code position} (listeners may not have heard yet). */
    public CompletableFuture<Boolean> awaitPosition(long position, Duration maxWait) {
        return catchUp.await(position, maxWait);
    }

    /**
     * Completes with true once the listeners have heard of every change below {@code position}: the node has acted
     * on them (a namespace created is followed by the node's writers and replicas, a dropped one is gone).
     */
    public CompletableFuture<Boolean> awaitHeard(long position, Duration maxWait) {
        return listeners.awaitHeard(position, maxWait);
    }

    /** Whether the catalog has read the whole registry at least once. */
    public boolean caughtUp() {
        return lagRecords == 0;
    }

    NamespaceRegistryView view() {
        return view;
    }

    private void run() {
        while (running) {
            try {
                askForEndWhenDue();
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    view.apply(record);
                }
                long position = consumer.position(NamespaceRegistryTopic.PARTITION);
                catchUp.advance(position);
                listeners.readUpTo(position);
                if (pendingEnd >= 0 && position >= pendingEnd) {
                    view.freshAsOf(pendingAskedAtNanos);
                    pendingEnd = -1;
                }
                consumer.currentLag(NamespaceRegistryTopic.PARTITION).ifPresent(lag -> lagRecords = lag);
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                log.error("event=catalog_read_failed", e);
                sleepQuietly();
            }
        }
        consumer.close(Duration.ofSeconds(5));
    }

    /**
     * Asks for the registry's end (its last stable offset: the consumer reads committed records only) when no ask
     * is pending and the last was long enough ago. The moment is read before the ask: whatever the registry held
     * then lies below the end the answer gives. A failed ask is tried again at the next interval.
     */
    private void askForEndWhenDue() {
        long now = time.nanoTime();
        if (pendingEnd >= 0 && now - pendingAskedAtNanos > maxViewAge.toNanos()) {
            // Not reached within the view's age (the log cut back under it, say): asked again.
            pendingEnd = -1;
        }
        if (pendingEnd >= 0 || (askedOnce && now - lastAskNanos < endCheckInterval.toNanos())) {
            return;
        }
        askedOnce = true;
        lastAskNanos = now;
        try {
            Long end = consumer.endOffsets(List.of(NamespaceRegistryTopic.PARTITION), endAskTimeout)
                    .get(NamespaceRegistryTopic.PARTITION);
            if (end != null) {
                pendingEnd = end;
                pendingAskedAtNanos = now;
            }
        } catch (WakeupException e) {
            throw e;
        } catch (org.apache.kafka.common.KafkaException e) {
            log.debug("event=registry_end_unknown error=\"{}\"", e.toString());
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        listeners.close();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
