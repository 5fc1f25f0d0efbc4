package io.logkv.mirror;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two Kafka clients of one topic's mirror: the source region's {@code read_committed} consumer, and the
 * target region's transactional producer, replaced after every failure (a fresh one fences the old one).
 * Used by the mirror's thread only, except for {@link #wakeup()}.
 */
final class MirrorClients {

    /** The mirror's events keep the logger name they have always had. */
    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);

    private final MirrorSettings settings;
    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;

    MirrorClients(MirrorSettings settings, String topic) {
        this.settings = settings;
        this.topic = topic;
        this.consumer = newConsumer();
    }

    KafkaConsumer<byte[], byte[]> consumer() {
        return consumer;
    }

    /** The current producer; null between a failure and the next resume. */
    KafkaProducer<byte[], byte[]> producer() {
        return producer;
    }

    /** A new producer with the mirror's transactional id, its transactions not yet initialized. */
    KafkaProducer<byte[], byte[]> openProducer() {
        producer = newProducer();
        return producer;
    }

    /** Ends a poll of the consumer at once; safe from any thread. */
    void wakeup() {
        consumer.wakeup();
    }

    /**
     * Aborts the open transaction, as Kafka asks after an abortable error, so that the coordinator ends it
     * before anything else happens; if that fails too, the next instance's fence aborts it.
     */
    void abortQuietly() {
        if (producer == null) {
            return;
        }
        try {
            producer.abortTransaction();
        } catch (ProducerFencedException e) {
            throw e;
        } catch (KafkaException | IllegalStateException e) {
            log.debug("event=mirror_abort_failed topic={} error=\"{}\"", topic, e.toString());
        }
    }

    void closeProducer() {
        if (producer != null) {
            // No wait: an open transaction is aborted by the next instance's fence, never committed by this one.
            producer.close(Duration.ZERO);
            producer = null;
        }
    }

    void close() {
        closeProducer();
        consumer.close(Duration.ZERO);
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() {
        Properties props = settings.sourceKafka().properties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logkv-mirror-" + settings.targetRegion() + "-" + topic);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Never skip or repeat silently: a position the source no longer has is a failure to look at.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private KafkaProducer<byte[], byte[]> newProducer() {
        Properties props = settings.targetKafka().properties();
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-mirror-" + settings.sourceRegion() + "-" + topic);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId(topic));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) settings.transactionTimeout().toMillis());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) (settings.kafkaTimeout().toMillis() + settings.transactionTimeout().toMillis()));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
