package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceRegistry;
import io.logkv.core.NamespaceSettings;
import io.logkv.writer.KafkaUnavailableException;
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
 * A region's namespace registry as the mirror and the promotion use it: read to its end, or one namespace's
 * entry written, in whichever region's cluster a {@link KafkaConnection} reaches. Each call uses clients of its
 * own, closed before it returns.
 */
final class RegistryTopic {

    private static final TopicPartition REGISTRY = new TopicPartition(NamespaceRegistry.TOPIC, 0);

    private final Duration kafkaTimeout;
    private final Duration readTimeout;

    /**
     * @param kafkaTimeout bound of each call to Kafka
     * @param readTimeout  bound of a whole read to the registry's end
     */
    RegistryTopic(Duration kafkaTimeout, Duration readTimeout) {
        this.kafkaTimeout = kafkaTimeout;
        this.readTimeout = readTimeout;
    }

    /** The registry read to its end: each namespace's latest entry, encoded; deleted ones left out. */
    Map<String, byte[]> entries(KafkaConnection kafka) {
        Properties props = new Properties();
        props.putAll(kafka.properties());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logkv-mirror-registry");
        Map<String, byte[]> entries = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            if (consumer.partitionsFor(NamespaceRegistry.TOPIC, kafkaTimeout).isEmpty()) {
                return entries;
            }
            consumer.assign(List.of(REGISTRY));
            consumer.seekToBeginning(List.of(REGISTRY));
            long end = consumer.endOffsets(List.of(REGISTRY), kafkaTimeout).get(REGISTRY);
            long deadline = System.nanoTime() + readTimeout.toNanos();
            while (consumer.position(REGISTRY, kafkaTimeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaUnavailableException("could not read " + NamespaceRegistry.TOPIC + " to offset " + end, null);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    String name = new String(record.key(), StandardCharsets.UTF_8);
                    if (record.value() == null) {
                        entries.remove(name);
                    } else {
                        entries.put(name, record.value());
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaUnavailableException("could not read " + NamespaceRegistry.TOPIC + " at " + kafka.bootstrapServers(), e);
        }
        return entries;
    }

    /**
     * The namespace's latest settings in the registry; empty when absent or deleted.
     *
     * @throws IllegalArgumentException when its entry does not parse
     */
    Optional<NamespaceSettings> latest(KafkaConnection kafka, NamespaceName namespace) {
        byte[] value = entries(kafka).get(namespace.value());
        return value == null ? Optional.empty() : Optional.of(NamespaceSettings.decode(value));
    }

    /** Writes a namespace's entry into the registry (which must exist), acknowledged by its in-sync replicas. */
    void write(KafkaConnection kafka, NamespaceName namespace, NamespaceSettings wanted) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(kafka), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(NamespaceRegistry.TOPIC, 0, namespace.value().getBytes(StandardCharsets.UTF_8),
                    wanted.encode())).get(kafkaTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while registering " + namespace, e);
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            throw new KafkaUnavailableException("could not register " + namespace + " at " + kafka.bootstrapServers(), e);
        }
    }

    private Properties producerProps(KafkaConnection kafka) {
        Properties props = new Properties();
        props.putAll(kafka.properties());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) kafkaTimeout.toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(kafkaTimeout.toMillis(), 1_000));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(kafkaTimeout.toMillis(), 1_000) + 1_000);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-mirror-registry");
        return props;
    }
}
