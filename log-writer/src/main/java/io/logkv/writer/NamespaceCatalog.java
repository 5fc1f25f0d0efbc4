package io.logkv.writer;

import io.logkv.core.DaemonThreads;
import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.PositionWaits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
 * deleted, on the catalog's own thread, in log order.
 */
public final class NamespaceCatalog implements AutoCloseable {

    /** Hears of namespace changes; {@code settings} is null when the namespace was deleted. */
    @FunctionalInterface
    public interface Listener {
        void changed(NamespaceName namespace, NamespaceSettings settings);
    }

    private static final Logger log = LoggerFactory.getLogger(NamespaceCatalog.class);

    private final Map<NamespaceName, NamespaceSettings> namespaces = new ConcurrentHashMap<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final PositionWaits catchUp = new PositionWaits(0, new AtomicInteger(), 10_000, WriterOverloadedException::new);
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile boolean running = true;
    private volatile long lagRecords = -1;

    public NamespaceCatalog(String bootstrapServers, String clientId) {
        this(KafkaConnection.of(bootstrapServers), clientId);
    }

    public NamespaceCatalog(KafkaConnection kafka, String clientId) {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.reader = DaemonThreads.named("logkv-namespace-catalog").newThread(this::run);
    }

    /** Adds a listener; it first hears of every namespace known so far. Call before {@link #start()}. */
    public void listen(Listener listener) {
        listeners.add(listener);
    }

    public void start() {
        consumer.assign(List.of(NamespaceRegistryTopic.PARTITION));
        consumer.seekToBeginning(List.of(NamespaceRegistryTopic.PARTITION));
        reader.start();
    }

    /** The settings of a namespace, or empty when it does not exist. */
    public Optional<NamespaceSettings> settings(NamespaceName namespace) {
        return Optional.ofNullable(namespaces.get(namespace));
    }

    /** Every namespace, by name. */
    public Map<NamespaceName, NamespaceSettings> all() {
        Map<NamespaceName, NamespaceSettings> sorted = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));
        sorted.putAll(namespaces);
        return sorted;
    }

    /** Completes with true once the catalog has read the registry up to {@code position}. */
    public CompletableFuture<Boolean> awaitPosition(long position, Duration maxWait) {
        return catchUp.await(position, maxWait);
    }

    /** Whether the catalog has read the whole registry at least once. */
    public boolean caughtUp() {
        return lagRecords == 0;
    }

    private void run() {
        while (running) {
            try {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record);
                }
                catchUp.advance(consumer.position(NamespaceRegistryTopic.PARTITION));
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

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        String name = NamespaceRegistryTopic.name(record);
        if (!NamespaceName.isLegal(name)) {
            log.warn("event=registry_record_skipped offset={} reason=illegal_name", record.offset());
            return;
        }
        NamespaceName namespace = new NamespaceName(name);
        NamespaceSettings settings = null;
        if (record.value() != null) {
            try {
                settings = NamespaceSettings.decode(record.value());
            } catch (IllegalArgumentException e) {
                log.warn("event=registry_record_skipped offset={} reason={}", record.offset(), e.getMessage());
                return;
            }
            namespaces.put(namespace, settings);
        } else {
            namespaces.remove(namespace);
        }
        for (Listener listener : listeners) {
            try {
                listener.changed(namespace, settings);
            } catch (RuntimeException e) {
                log.error("event=namespace_listener_failed namespace={}", namespace, e);
            }
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
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
