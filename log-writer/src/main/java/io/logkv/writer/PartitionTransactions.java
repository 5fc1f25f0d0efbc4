package io.logkv.writer;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import io.logkv.core.WriteCondition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transactional producer of one truth partition, under one of the partition's transactional ids
 * ({@link OwnerSettings#transactionalIds}). The id belongs to the partition, not to the node, so the owner that
 * takes the partition over fences every earlier writer of it with {@code initTransactions()}: the earlier
 * writer's open transaction is aborted and any later send or commit of it fails. Fencing is paid once per change
 * of owner, not on every commit (ADR 0005).
 *
 * <p>Used by one partition writer at a time (never concurrently). Records are held in the producer until
 * the commit flushes them, so a transaction sends one request per partition it touches.
 */
final class PartitionTransactions implements PartitionCommits {

    private static final Logger log = LoggerFactory.getLogger(PartitionTransactions.class);

    private final OwnerSettings settings;
    private final String transactionalId;
    private final Runnable beforeCommit;
    private KafkaProducer<byte[], byte[]> producer;

    /**
     * @param beforeCommit runs after a batch's records are sent and before its commit: the point where a
     *                     stalled owner is most dangerous (fault injection in tests)
     */
    PartitionTransactions(OwnerSettings settings, String transactionalId, Runnable beforeCommit) {
        this.settings = settings;
        this.transactionalId = transactionalId;
        this.beforeCommit = beforeCommit;
    }

    /** The truth record of an accepted write. */
    static ProducerRecord<byte[], byte[]> record(TopicPartition tp, WriteRequest request, Version version) {
        List<Header> headers = new ArrayList<>(2);
        if (request.idempotencyKey() != null) {
            headers.add(IdempotentOutcome.header(request.idempotencyKey()));
        }
        if (request.isDelete()) {
            headers.add(Tombstones.versionHeader(version));
            if (request.condition() instanceof WriteCondition.Expired expiry) {
                headers.add(Tombstones.expiredAtHeader(expiry.expiresAtMs()));
            }
            return new ProducerRecord<>(tp.topic(), tp.partition(), request.key(), null, headers);
        }
        byte[] envelope = new RecordEnvelope(version, request.expiresAtMs(), request.contentType(), request.value()).encode();
        return new ProducerRecord<>(tp.topic(), tp.partition(), request.key(), envelope, headers);
    }

    /**
     * Takes this transactional id: every earlier producer of it (a deposed owner, this node's own previous
     * producer) is fenced and its open transaction resolved before this returns.
     *
     * @throws WriteFailedException when Kafka could not be reached in time (nothing changed)
     */
    @Override
    public void fenceEarlierWriters() {
        closeProducer();
        KafkaProducer<byte[], byte[]> created = null;
        try {
            created = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
            created.initTransactions();
            producer = created;
        } catch (KafkaException e) {
            if (created != null) {
                created.close(Duration.ZERO);
            }
            throw new WriteFailedException("Kafka is unavailable: " + e.getMessage(), e, false);
        }
    }

    /** Whether {@link #fenceEarlierWriters()} succeeded and no failure has closed the producer since. */
    @Override
    public boolean ready() {
        return producer != null;
    }

    /**
     * Commits {@code records}, and the ingest offsets when there are any, in one transaction.
     *
     * @return the offset of each record, in order
     * @throws WriteFailedException when nothing was committed, or, with {@code outcomeUnknown}, when it is not
     *                              known; with {@code deposed} when another writer has taken the partition.
     *                              After any failure but a plain abort the producer is closed and
     *                              {@link #ready()} is false.
     */
    @Override
    public List<Long> commit(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> ingestOffsets) {
        if (producer == null) {
            throw new WriteFailedException("the partition's producer is not ready", null, false);
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        boolean committing = false;
        long began = System.nanoTime();
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> record : records) {
                sent.add(producer.send(record));
            }
            beforeCommit.run();
            if (!ingestOffsets.isEmpty()) {
                // No member or generation: fencing is the transactional id's epoch, not the group's.
                producer.sendOffsetsToTransaction(ingestOffsets, new ConsumerGroupMetadata(settings.groupId()));
            }
            committing = true;
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            // Another owner has initialised this partition's transactional id. If our commit request reached
            // the coordinator before that, it may have committed: the outcome is not known.
            log.warn("event=writer_fenced transactional_id={} error={}", transactionalId, e.toString());
            closeProducer();
            throw new WriteFailedException("another node has taken over the partition", e, committing, true);
        } catch (OutOfOrderSequenceException | AuthorizationException | UnsupportedVersionException e) {
            log.warn("event=producer_failed transactional_id={} error={}", transactionalId, e.toString());
            closeProducer();
            throw new WriteFailedException("the write failed: " + e.getMessage(), e, committing);
        } catch (TimeoutException e) {
            closeProducer();
            throw new WriteFailedException("Kafka did not confirm the write in time", e, committing);
        } catch (KafkaException e) {
            if (KafkaErrors.causedBy(e, ProducerFencedException.class, InvalidProducerEpochException.class)
                    || committing && abortedForAnotherWriter(e, began)) {
                log.warn("event=writer_fenced transactional_id={} error={}", transactionalId, e.toString());
                closeProducer();
                throw new WriteFailedException("another node has taken over the partition", e, committing, true);
            }
            if (committing) {
                // commitTransaction() failed: the commit may have happened (a retried EndTxn answered with an
                // error, say). The writes are answered as unknown and never retried, or a client could see
                // 412 against its own committed write.
                log.warn("event=commit_outcome_unknown transactional_id={} error={}", transactionalId, e.toString());
                closeProducer();
                throw new WriteFailedException("Kafka did not confirm the commit: " + e.getMessage(), e, true);
            }
            log.info("event=transaction_aborted transactional_id={} error={}", transactionalId, e.toString());
            abortOrClose();
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
     * Whether a commit failed because another writer's {@code initTransactions()} aborted the transaction. With
     * transactions version 2 the coordinator's abort bumps the epoch, and a commit that arrives just after it carries the
     * epoch from before: the coordinator takes it for a retry, finds the transaction aborted, and answers
     * {@code INVALID_TXN_STATE}, not {@code PRODUCER_FENCED}. The coordinator aborts a transaction on its own only past
     * the transaction timeout, measured from later than {@code beganNanos}: within it, the abort was another writer's
     * fence, and fencing back would take the partition from the newer owner.
     */
    private boolean abortedForAnotherWriter(KafkaException error, long beganNanos) {
        return System.nanoTime() - beganNanos < settings.transactionTimeout().toNanos()
                && KafkaErrors.causedBy(error, InvalidTxnStateException.class);
    }

    private Properties producerConfig() {
        Properties props = settings.kafka().properties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxRequestBytes());
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) settings.transactionTimeout().toMillis());
        // Hold records until commitTransaction() flushes them: one produce request per partition per
        // transaction. With linger 0 every record left alone and queued behind five in-flight requests
        // (a 34-record transaction took 50 ms instead of 19 ms; ADR 0005). A second is far longer than
        // the time from a batch's first send to its commit.
        long deliveryMs = settings.deliveryTimeout().toMillis();
        long lingerMs = Math.min(1_000, deliveryMs / 4);
        props.put(ProducerConfig.LINGER_MS_CONFIG, (int) lingerMs);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryMs);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(deliveryMs - lingerMs, 30_000));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) deliveryMs);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        // Back-to-back transactions meet CONCURRENT_TRANSACTIONS while the previous markers are written;
        // the default 100 ms backoff would put a floor under every write's latency.
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 100);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId + "@" + settings.nodeId());
        return props;
    }

    private void abortOrClose() {
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            log.warn("event=abort_failed transactional_id={} error={}", transactionalId, e.toString());
            closeProducer();
        }
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(1));
            } catch (KafkaException e) {
                log.debug("event=producer_close_failed error={}", e.toString());
            }
            producer = null;
        }
    }

    @Override
    public void close() {
        closeProducer();
    }
}
