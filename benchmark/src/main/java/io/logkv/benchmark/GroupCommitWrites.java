package io.logkv.benchmark;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The foundation of LogKV's write path without LogKV: one transactional producer and one thread that
 * takes everything queued (up to {@value #MAX_BATCH} writes), sends it in one transaction and commits
 * (group commit). No fencing offsets, no conditions, no HTTP: what a transaction per batch costs by itself.
 */
final class GroupCommitWrites implements WriteTarget {

    private static final int MAX_BATCH = 1000;

    private record Pending(byte[] key, CompletableFuture<Void> acknowledged) {
    }

    private final String topic;
    private final byte[] value;
    private final String runId;
    private final KafkaProducer<byte[], byte[]> producer;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong records = new AtomicLong();
    private final Thread committer;
    private volatile boolean running = true;

    GroupCommitWrites(String bootstrapServers, String topic, byte[] value, String runId) {
        this.topic = topic;
        this.value = value;
        this.runId = runId;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-group-commit-" + runId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // As LogKV's OwnerTransactions: back-to-back transactions meet CONCURRENT_TRANSACTIONS briefly.
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 100);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        this.committer = new Thread(this::commitLoop, "bench-group-commit");
        committer.start();
    }

    @Override
    public void write(int client, long sequence) throws Exception {
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        queue.add(new Pending((runId + "-" + client + "-" + sequence).getBytes(StandardCharsets.UTF_8), acknowledged));
        acknowledged.get(30, TimeUnit.SECONDS);
    }

    @Override
    public double takeRecordsPerTransaction() {
        long t = transactions.getAndSet(0);
        long r = records.getAndSet(0);
        return t == 0 ? Double.NaN : (double) r / t;
    }

    private void commitLoop() {
        List<Pending> batch = new ArrayList<>();
        while (running) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                producer.beginTransaction();
                for (Pending pending : batch) {
                    producer.send(new ProducerRecord<>(topic, pending.key(), value));
                }
                producer.commitTransaction();
                transactions.incrementAndGet();
                records.addAndGet(batch.size());
                batch.forEach(p -> p.acknowledged().complete(null));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (KafkaException e) {
                batch.forEach(p -> p.acknowledged().completeExceptionally(e));
                try {
                    producer.abortTransaction();
                } catch (KafkaException abortFailed) {
                    // the next beginTransaction() reports a producer that cannot continue
                }
            }
            batch.clear();
        }
    }

    @Override
    public void close() {
        running = false;
        ClosedLoop.join(committer);
        producer.close();
    }
}
