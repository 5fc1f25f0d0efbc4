package io.logkv.writer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends records to Kafka in transactions and acknowledges each only after its transaction committed
 * ({@code acks=all}, idempotent producer), so a read_committed reader can see it.
 *
 * <p>Writes wait in a bounded queue; one thread drains whatever has gathered into the next transaction
 * (group commit), so the cost of a commit is shared by every write that arrived while the previous one
 * was in flight. A full queue refuses new writes rather than letting latency grow without bound.
 */
public final class TransactionalAppender implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TransactionalAppender.class);
    private static final Duration RETRY_BACKOFF = Duration.ofMillis(500);

    private final AppenderSettings settings;
    private final BlockingQueue<PendingAppend> queue;
    private final Thread committer;
    private final Timer commitTimer;
    private final DistributionSummary batchRecords;
    private final Counter failedWrites;
    private volatile boolean running = true;
    private KafkaProducer<byte[], byte[]> producer;

    public TransactionalAppender(AppenderSettings settings, MeterRegistry meters) {
        this.settings = settings;
        this.queue = new ArrayBlockingQueue<>(settings.maxPendingWrites());
        this.commitTimer = Timer.builder("logkv.writer.commit").description("Time to commit one transaction")
                .publishPercentileHistogram().register(meters);
        this.batchRecords = DistributionSummary.builder("logkv.writer.batch.records")
                .description("Records per transaction (group commit)").register(meters);
        this.failedWrites = Counter.builder("logkv.writer.failed").description("Writes not acknowledged").register(meters);
        Gauge.builder("logkv.writer.pending", queue, BlockingQueue::size)
                .description("Writes waiting for a transaction").register(meters);
        this.committer = new Thread(this::run, "logkv-appender");
        this.committer.setDaemon(true);
        this.committer.start();
    }

    /**
     * Queues a record for the next transaction.
     *
     * @param value the record value, or null for a tombstone
     * @return completes when the record is committed, or exceptionally with {@link WriteFailedException}
     * @throws WriterOverloadedException when too many writes are already waiting
     */
    public CompletableFuture<AppendedRecord> append(String topic, int partition, byte[] key, byte[] value, List<Header> headers) {
        PendingAppend pending = new PendingAppend(new ProducerRecord<>(topic, partition, key, value, headers),
                key.length + (value == null ? 0 : value.length), new CompletableFuture<>());
        if (!running) {
            throw new WriterOverloadedException("the writer is shutting down");
        }
        if (!queue.offer(pending)) {
            throw new WriterOverloadedException("more than " + settings.maxPendingWrites() + " writes are waiting");
        }
        return pending.result();
    }

    private void run() {
        List<PendingAppend> batch = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                PendingAppend first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                gather(batch);
                commit(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(batch, new WriteFailedException("the writer stopped", e, false));
                break;
            } catch (RuntimeException e) {
                log.error("event=append_loop_error", e);
                fail(batch, new WriteFailedException("internal writer error", e, true));
            } finally {
                batch.clear();
            }
        }
        fail(drain(), new WriteFailedException("the writer stopped", null, false));
        closeProducer();
    }

    private void gather(List<PendingAppend> batch) {
        long bytes = batch.get(0).bytes();
        while (batch.size() < settings.maxBatchRecords()) {
            PendingAppend next = queue.peek();
            if (next == null || bytes + next.bytes() > settings.maxBatchBytes()) {
                return;
            }
            batch.add(queue.poll());
            bytes += next.bytes();
        }
    }

    private void commit(List<PendingAppend> batch) throws InterruptedException {
        if (!ensureProducer()) {
            fail(batch, new WriteFailedException("Kafka is unavailable", null, false));
            Thread.sleep(RETRY_BACKOFF.toMillis());
            return;
        }
        long start = System.nanoTime();
        List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
        boolean commitStarted = false;
        try {
            producer.beginTransaction();
            for (PendingAppend pending : batch) {
                sent.add(producer.send(pending.record()));
            }
            commitStarted = true;
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
                 | AuthorizationException | UnsupportedVersionException e) {
            // Fatal for this producer: another writer took over its transactional id, or it cannot go on.
            log.warn("event=producer_fenced transactional_id={} error={}", settings.transactionalId(), e.toString());
            fail(batch, new WriteFailedException("this writer was fenced", e, false));
            closeProducer();
            return;
        } catch (TimeoutException e) {
            // The commit may or may not have happened; a fresh producer resolves it (initTransactions
            // completes or aborts the open transaction) before anything else is written.
            fail(batch, new WriteFailedException("Kafka did not confirm the write in time", e, commitStarted));
            closeProducer();
            return;
        } catch (KafkaException e) {
            fail(batch, new WriteFailedException("Kafka refused the write: " + e.getMessage(), e, false));
            abortOrReset();
            return;
        }
        commitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        batchRecords.record(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            RecordMetadata metadata = metadataOf(sent.get(i));
            batch.get(i).result().complete(new AppendedRecord(metadata.partition(), metadata.offset()));
        }
    }

    private static RecordMetadata metadataOf(Future<RecordMetadata> future) {
        try {
            return future.get(); // already complete: commitTransaction flushed every send
        } catch (Exception e) {
            throw new IllegalStateException("a committed record has no metadata", e);
        }
    }

    private void abortOrReset() {
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            log.warn("event=abort_failed error={}", e.toString());
            closeProducer();
        }
    }

    private boolean ensureProducer() {
        if (producer != null) {
            return true;
        }
        KafkaProducer<byte[], byte[]> created = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
        try {
            created.initTransactions();
            producer = created;
            log.info("event=producer_ready transactional_id={}", settings.transactionalId());
            return true;
        } catch (KafkaException e) {
            log.warn("event=producer_init_failed transactional_id={} error={}", settings.transactionalId(), e.toString());
            created.close(Duration.ZERO);
            return false;
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
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, settings.transactionalId());
        return props;
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

    private List<PendingAppend> drain() {
        List<PendingAppend> rest = new ArrayList<>();
        queue.drainTo(rest);
        return rest;
    }

    private void fail(List<PendingAppend> batch, WriteFailedException error) {
        for (PendingAppend pending : batch) {
            if (pending.result().completeExceptionally(error)) {
                failedWrites.increment();
            }
        }
    }

    /** Stops taking writes, commits what is queued, and closes the producer. */
    @Override
    public void close() {
        running = false;
        try {
            committer.join(settings.deliveryTimeout().toMillis() + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record PendingAppend(ProducerRecord<byte[], byte[]> record, long bytes, CompletableFuture<AppendedRecord> result) {
    }
}
