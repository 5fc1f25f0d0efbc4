package io.logkv.writer;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's transactional producer: commits a batch of records together with the group's offsets, so
 * the commit succeeds only while this node's group generation is current. A producer that hits a fatal
 * or ambiguous error is closed; the next batch starts a fresh one, whose {@code initTransactions()}
 * resolves whatever the old one left open.
 */
final class OwnerTransactions implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OwnerTransactions.class);

    private final OwnerSettings settings;
    private final Admin admin;
    private final Runnable beforeCommit;
    private KafkaProducer<byte[], byte[]> producer;

    /**
     * @param beforeCommit runs after a batch's records are sent and before its offsets and commit: the
     *                     point where a stalled owner is most dangerous (fault injection in tests)
     */
    OwnerTransactions(OwnerSettings settings, Runnable beforeCommit) {
        this.settings = settings;
        this.beforeCommit = beforeCommit;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "logkv-owner-admin-" + settings.nodeId());
        this.admin = Admin.create(props);
    }

    /** The consumer that joins the writers' group; its assignment is this node's ownership. */
    static KafkaConsumer<byte[], byte[]> groupConsumer(OwnerSettings settings, String advertisedUrl) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, OwnerDirectory.clientIdFor(advertisedUrl));
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        // Eager rebalancing: a partition is revoked everywhere before it is assigned anywhere.
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, StickyAssignor.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, settings.sessionTimeout().toMillis() / 4));
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) settings.maxPollInterval().toMillis());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, settings.maxBatchRecords() / 2));
        // The group leader re-balances when its metadata shows a subscribed topic it had not seen; refresh
        // often, so a new namespace is owned within seconds even if the leader assigned before knowing it.
        props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** The truth record of an accepted write. */
    static ProducerRecord<byte[], byte[]> record(TopicPartition tp, WriteRequest request, Version version) {
        List<Header> headers = new ArrayList<>(2);
        if (request.idempotencyKey() != null) {
            headers.add(IdempotentOutcome.header(request.idempotencyKey()));
        }
        if (request.isDelete()) {
            headers.add(Tombstones.versionHeader(version));
            return new ProducerRecord<>(tp.topic(), tp.partition(), request.key(), null, headers);
        }
        byte[] envelope = new RecordEnvelope(version, request.expiresAtMs(), request.contentType(), request.value()).encode();
        return new ProducerRecord<>(tp.topic(), tp.partition(), request.key(), envelope, headers);
    }

    /**
     * Commits {@code records} and {@code offsets} in one transaction bound to the group's generation.
     *
     * @return the offset of each record, in order
     * @throws WriteFailedException when nothing was committed (or, with {@code outcomeUnknown}, it is not known)
     */
    List<Long> commit(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets,
                      ConsumerGroupMetadata group) {
        ensureProducer();
        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        boolean committing = false;
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> record : records) {
                sent.add(producer.send(record));
            }
            beforeCommit.run();
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
            committing = true;
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
                 | AuthorizationException | UnsupportedVersionException e) {
            log.warn("event=producer_fenced transactional_id={} error={}", settings.transactionalId(), e.toString());
            closeProducer();
            throw new WriteFailedException("this writer was fenced by another", e, false, true);
        } catch (TimeoutException e) {
            closeProducer();
            throw new WriteFailedException("Kafka did not confirm the write in time", e, committing);
        } catch (CommitFailedException | FencedInstanceIdException e) {
            // The group moved on without this node: it no longer owns what it was writing.
            log.warn("event=owner_deposed error={}", e.toString());
            abortOrReset();
            throw new WriteFailedException("this node no longer owns the partition", e, false, true);
        } catch (KafkaException e) {
            if (committing) {
                // commitTransaction() failed: the commit may have happened (a retried EndTxn answered with an
                // error, say). Only a fresh producer's initTransactions() can tell; the writes are answered as
                // unknown and never retried, or a client could see 412 against its own committed write.
                log.warn("event=commit_outcome_unknown error={}", e.toString());
                closeProducer();
                throw new WriteFailedException("Kafka did not confirm the commit: " + e.getMessage(), e, true);
            }
            log.info("event=transaction_aborted error={}", e.toString());
            abortOrReset();
            throw new WriteFailedException("the transaction was aborted: " + e.getMessage(), e, false);
        }
        List<Long> result = new ArrayList<>(sent.size());
        for (Future<RecordMetadata> future : sent) {
            try {
                result.add(future.get().offset()); // complete: the commit flushed every send
            } catch (Exception e) {
                throw new IllegalStateException("a committed record has no metadata", e);
            }
        }
        return result;
    }

    /**
     * The end (high watermark) of a truth partition, which a new owner's replica must reach before it
     * checks any condition. Not the last stable offset: the previous owner's last acknowledged transaction
     * can be committed while its markers have not reached the partition yet, and a replica that stopped
     * there would miss that write.
     */
    CompletableFuture<Long> committedEnd(TopicPartition tp) {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .partitionResult(tp).toCompletionStage().toCompletableFuture().thenApply(info -> info.offset());
    }

    private void ensureProducer() {
        if (producer != null) {
            return;
        }
        KafkaProducer<byte[], byte[]> created = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
        try {
            created.initTransactions();
            producer = created;
            log.info("event=producer_ready transactional_id={}", settings.transactionalId());
        } catch (KafkaException e) {
            created.close(Duration.ZERO);
            throw new WriteFailedException("Kafka is unavailable: " + e.getMessage(), e, false);
        }
    }

    private Properties producerConfig() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxRequestBytes());
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) settings.transactionTimeout().toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) settings.deliveryTimeout().toMillis());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(settings.deliveryTimeout().toMillis(), 30_000));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.deliveryTimeout().toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // Back-to-back transactions meet CONCURRENT_TRANSACTIONS while the previous markers are written;
        // the default 100 ms backoff would put a floor under every write's latency.
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 100);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, settings.transactionalId());
        return props;
    }

    private void abortOrReset() {
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            log.warn("event=abort_failed error={}", e.toString());
            closeProducer();
        }
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (KafkaException e) {
                log.debug("event=producer_close_failed error={}", e.toString());
            }
            producer = null;
        }
    }

    @Override
    public void close() {
        closeProducer();
        admin.close(Duration.ofSeconds(5));
    }
}
