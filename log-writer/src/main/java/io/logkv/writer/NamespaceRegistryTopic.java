package io.logkv.writer;

import io.logkv.core.HomeLease;
import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceRegistry;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The namespace registry ({@link NamespaceRegistry}) as records of its Kafka topic: one partition, keyed by a
 * namespace's name, valued by its encoded settings, a tombstone deleting it; beside them, under keys no namespace
 * can have, the home leases other regions grant on this region's namespaces ({@link #lease}). Every reader and writer of a
 * registry goes through here, so its format lives once: this region's nodes ({@link NamespaceCatalog},
 * {@link NamespaceRegistryWriter}) use the static parts; the mirror and the promotion, which reach other regions'
 * registries too, an instance per cluster, whose every call uses clients of its own, closed before it returns.
 */
public final class NamespaceRegistryTopic {

    /** The registry's only partition, so that every change has one order. */
    public static final TopicPartition PARTITION = new TopicPartition(NamespaceRegistry.TOPIC, 0);

    private final KafkaConnection kafka;
    private final String clientId;
    private final Duration kafkaTimeout;
    private final Duration readTimeout;

    /**
     * The registry of the cluster {@code kafka} reaches (its client settings included).
     *
     * @param kafkaTimeout bound of each call to Kafka
     * @param readTimeout  bound of a whole read to the registry's end
     */
    public NamespaceRegistryTopic(KafkaConnection kafka, String clientId, Duration kafkaTimeout, Duration readTimeout) {
        this.kafka = kafka;
        this.clientId = clientId;
        this.kafkaTimeout = kafkaTimeout;
        this.readTimeout = readTimeout;
    }

    /**
     * How soon the registry's segments close and can be cleaned: home leases are renewed in it every few seconds per
     * namespace and copy, and every node replays it at boot, so compaction keeps only the latest of each.
     */
    static final Duration SEGMENT_AGE = Duration.ofMinutes(10);

    /**
     * Creates the registry topic when missing (segments closed after {@link #SEGMENT_AGE}), and checks that it is as
     * safe as a truth topic.
     */
    public static void ensure(TruthTopics topics) {
        topics.ensure(NamespaceRegistry.TOPIC, 1, Map.of("segment.ms", Long.toString(SEGMENT_AGE.toMillis())));
    }

    /** The record that sets a namespace's settings, or deletes the namespace when {@code settings} is null. */
    public static ProducerRecord<byte[], byte[]> entry(NamespaceName namespace, NamespaceSettings settings) {
        return new ProducerRecord<>(NamespaceRegistry.TOPIC, PARTITION.partition(), namespace.value().getBytes(StandardCharsets.UTF_8),
                settings == null ? null : settings.encode());
    }

    /**
     * The record that writes the home lease on {@code namespace} granted by region {@code grantor} into this region's
     * registry ({@link HomeLease#registryKey}), or drops it when {@code lease} is null; read by the nodes
     * ({@link NamespaceCatalog}), written by the mirror and the promotion.
     */
    public static ProducerRecord<byte[], byte[]> lease(NamespaceName namespace, RegionName grantor, HomeLease lease) {
        return new ProducerRecord<>(NamespaceRegistry.TOPIC, PARTITION.partition(), HomeLease.registryKey(namespace, grantor),
                lease == null ? null : lease.value());
    }

    /** The name of the namespace a registry record is about; null when it has no key. */
    public static String name(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    /** A producer of registry entries: each acknowledged by the in-sync replicas, sent at once, bounded by {@code timeout}. */
    public static Properties producerProperties(KafkaConnection kafka, Duration timeout, String clientId) {
        Properties props = kafka.properties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(timeout.toMillis(), 1_000));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(timeout.toMillis(), 1_000));
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return props;
    }

    /** The registry read to its end: each namespace's latest entry, encoded; deleted ones and home leases left out. */
    public Map<String, byte[]> readToEnd() {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        Map<String, byte[]> entries = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            if (consumer.partitionsFor(NamespaceRegistry.TOPIC, kafkaTimeout).isEmpty()) {
                return entries;
            }
            consumer.assign(List.of(PARTITION));
            consumer.seekToBeginning(List.of(PARTITION));
            long end = consumer.endOffsets(List.of(PARTITION), kafkaTimeout).get(PARTITION);
            long deadline = System.nanoTime() + readTimeout.toNanos();
            while (consumer.position(PARTITION, kafkaTimeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaUnavailableException("could not read " + NamespaceRegistry.TOPIC + " to offset " + end, null);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (HomeLease.isRegistryKey(name(record))) {
                        continue; // a lease, not a namespace: its value is no NamespaceSettings
                    }
                    if (record.value() == null) {
                        entries.remove(name(record));
                    } else {
                        entries.put(name(record), record.value());
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaUnavailableException("could not read " + NamespaceRegistry.TOPIC + " at " + kafka.bootstrapServers(), e);
        }
        return entries;
    }

    /**
     * The namespace's latest settings, the registry read to its end; empty when absent or deleted.
     *
     * @throws IllegalArgumentException when its entry does not parse
     */
    public Optional<NamespaceSettings> latest(NamespaceName namespace) {
        byte[] value = readToEnd().get(namespace.value());
        return value == null ? Optional.empty() : Optional.of(NamespaceSettings.decode(value));
    }

    /** Writes a namespace's entry into the registry (which must exist), acknowledged by its in-sync replicas. */
    public void write(NamespaceName namespace, NamespaceSettings wanted) {
        Properties props = producerProperties(kafka, kafkaTimeout, clientId);
        // Possibly another region's cluster: a second more to deliver than one request may take.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(kafkaTimeout.toMillis(), 1_000) + 1_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(entry(namespace, wanted)).get(kafkaTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while registering " + namespace, e);
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            throw new KafkaUnavailableException("could not register " + namespace + " at " + kafka.bootstrapServers(), e);
        }
    }
}
