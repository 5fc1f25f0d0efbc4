package io.logkv.mirror;

import io.logkv.writer.NamespaceRegistryTopic;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka clients of one topic's mirror: the source region's {@code read_committed} consumer, the target
 * region's transactional producer, replaced after every failure (a fresh one fences the old one), and a producer
 * of the home lease's grants into the source's namespace registry ({@link HomeLeaseGrants}). Used by the mirror's
 * thread only, except for {@link #wakeup()}.
 */
final class MirrorClients {

    /** The mirror's events keep the logger name they have always had. */
    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);

    private static final int FETCH_BYTES_PER_PARTITION = 4 * 1024 * 1024;
    private static final int BATCH_BYTES = 256 * 1024;

    private final MirrorSettings settings;
    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    /** The consumer's count of answered fetches (found on first use), its value when it last grew, and when that was. */
    private Metric fetches;
    private double fetchesSeen = -1;
    private long lastAnsweredMs;
    private KafkaProducer<byte[], byte[]> producer;
    private KafkaProducer<byte[], byte[]> sourceRegistry;

    MirrorClients(MirrorSettings settings, String topic) {
        this.settings = settings;
        this.topic = topic;
        this.consumer = newConsumer();
    }

    KafkaConsumer<byte[], byte[]> consumer() {
        return consumer;
    }

    /**
     * When the brokers last answered a fetch of the consumer's, as far as the calls so far saw ({@code nowMs} when this
     * call sees a new answer). A partition's lag ({@code currentLag}) is what the last answer said, and a poll returns
     * nothing without error while the brokers are cut off: without a recent answer, a lag of 0 is a memory, not a
     * fact of now. {@code nowMs} always when the client does not report its fetches (then the lag is taken as it comes).
     */
    long lastFetchAnsweredMs(long nowMs) {
        if (fetches == null) {
            fetches = consumer.metrics().entrySet().stream()
                    .filter(entry -> entry.getKey().name().equals("fetch-total") && !entry.getKey().tags().containsKey("topic"))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            if (fetches == null) {
                return nowMs;
            }
        }
        double answered = fetches.metricValue() instanceof Number count ? count.doubleValue() : Double.NaN;
        if (Double.isNaN(answered)) {
            return nowMs;
        }
        if (answered > fetchesSeen) {
            fetchesSeen = answered;
            lastAnsweredMs = nowMs;
        }
        return lastAnsweredMs;
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

    /** The producer of registry records in the source region (idempotent, so grants arrive in order); opened on first use. */
    KafkaProducer<byte[], byte[]> sourceRegistry() {
        if (sourceRegistry == null) {
            sourceRegistry = new KafkaProducer<>(NamespaceRegistryTopic.producerProperties(settings.sourceKafka(), settings.kafkaTimeout(),
                    "logkv-mirror-lease-" + settings.targetRegion() + "-" + topic), new ByteArraySerializer(), new ByteArraySerializer());
        }
        return sourceRegistry;
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
            KafkaProducer<byte[], byte[]> closing = producer;
            producer = null;
            // No wait: an open transaction is aborted by the next instance's fence, never committed by this one.
            closing.close(Duration.ZERO);
        }
    }

    /**
     * Closes both clients. Stopping the mirror interrupts its thread at any moment, also while it closes them; the
     * clients refuse to close in an interrupted thread (they throw after closing), so each is closed with the
     * interrupt set aside and the interrupt is kept for the thread's end.
     */
    void close() {
        boolean interrupted = Thread.interrupted();
        interrupted |= closeAsideFromInterrupts(this::closeProducer);
        interrupted |= closeAsideFromInterrupts(() -> consumer.close(Duration.ZERO));
        interrupted |= closeAsideFromInterrupts(() -> {
            if (sourceRegistry != null) {
                sourceRegistry.close(Duration.ZERO);
            }
        });
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code close}; whether an interrupt came meanwhile (then cleared, so that the next close runs too). */
    private boolean closeAsideFromInterrupts(Runnable close) {
        try {
            close.run();
        } catch (InterruptException e) {
            log.debug("event=mirror_close_interrupted topic={}", topic);
        } catch (KafkaException e) {
            log.debug("event=mirror_close_failed topic={} error=\"{}\"", topic, e.toString());
        }
        return Thread.interrupted();
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() {
        Properties props = settings.sourceKafka().properties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logkv-mirror-" + settings.targetRegion() + "-" + topic);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Never skip or repeat silently: a position the source no longer has is a failure to look at.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        // Large fetches, as the nodes' replicas ask for: fewer fetch requests for the source brokers to serve.
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, FETCH_BYTES_PER_PARTITION);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        // Kafka's newer consumer fetches on a thread of its own: the next records arrive while this topic's
        // thread flushes and commits a transaction, instead of waiting for its next poll to ask for them.
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
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
        // Batches as large as a poll brings per partition: each produce request is replicated and appended by the
        // target brokers as a unit, so fewer, larger ones cost them less per record.
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_BYTES);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
