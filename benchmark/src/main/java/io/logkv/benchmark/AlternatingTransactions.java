package io.logkv.benchmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A spike for the write path (ADR 0005, "Candidates measured since"): can one partition commit more transactions a
 * second if its writer takes turns between several transactional ids? Transactions of one partition stay one at a
 * time, as the writer's ordering and conditions need (each begins after the previous one committed), but the next
 * one is on another producer, so it need not wait for the previous one's commit markers before its partition is
 * added to it ({@code CONCURRENT_TRANSACTIONS}). Run beside a running {@code bin/logkv local}, in its own JVM, with
 * the producer settings of LogKV's partition writers (acks=all, LZ4, records held until the commit, 5 ms retry
 * back-off):
 *
 * <p>{@code AlternatingTransactions BOOTSTRAP PRODUCERS RECORDS_PER_TRANSACTION SECONDS}
 *
 * <p>Prints transactions a second, the mean time to send a transaction's records and to commit it, and the
 * cycle's p50 and p99, after 3 s of warm-up.
 */
public final class AlternatingTransactions {

    private static final String TOPIC = "bench.alternating-transactions";
    private static final long WARM_UP_NANOS = Duration.ofSeconds(3).toNanos();

    private AlternatingTransactions() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        int producers = Integer.parseInt(args[1]);
        int records = Integer.parseInt(args[2]);
        long seconds = Long.parseLong(args[3]);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        List<KafkaProducer<byte[], byte[]>> turns = new ArrayList<>();
        try {
            for (int i = 0; i < producers; i++) {
                KafkaProducer<byte[], byte[]> producer = producer(bootstrap, "bench-alternating-" + i + "-" + System.nanoTime());
                producer.initTransactions();
                turns.add(producer);
            }
            run(turns, records, seconds);
        } finally {
            turns.forEach(KafkaProducer::close);
        }
    }

    private static void run(List<KafkaProducer<byte[], byte[]>> turns, int records, long seconds) throws Exception {
        byte[][] values = TransactionalProducerBaseline.distinctValues(1024);
        long started = System.nanoTime();
        long end = started + WARM_UP_NANOS + Duration.ofSeconds(seconds).toNanos();
        long sendNanos = 0;
        long commitNanos = 0;
        long[] cycles = new long[1 << 20];
        int counted = 0;
        for (long turn = 0; System.nanoTime() < end; turn++) {
            KafkaProducer<byte[], byte[]> producer = turns.get((int) (turn % turns.size()));
            long begin = System.nanoTime();
            producer.beginTransaction();
            Future<RecordMetadata> last = null;
            for (int r = 0; r < records; r++) {
                last = producer.send(new ProducerRecord<>(TOPIC, 0, ("k" + r).getBytes(), values[(int) ((turn * records + r) % values.length)]));
            }
            producer.flush();
            last.get();
            long sent = System.nanoTime();
            producer.commitTransaction();
            long committed = System.nanoTime();
            if (begin - started >= WARM_UP_NANOS && counted < cycles.length) {
                sendNanos += sent - begin;
                commitNanos += committed - sent;
                cycles[counted++] = committed - begin;
            }
        }
        Arrays.sort(cycles, 0, counted);
        double busySeconds = (sendNanos + commitNanos) / 1e9;
        System.out.printf(Locale.ROOT, "producers=%d records/txn=%d transactions=%d txn/s=%.0f records/s=%.0f send=%.2fms commit=%.2fms"
                        + " cycle p50=%.2fms p99=%.2fms%n", turns.size(), records, counted, counted / busySeconds,
                counted * (double) records / busySeconds, sendNanos / 1e6 / counted, commitNanos / 1e6 / counted,
                cycles[counted / 2] / 1e6, cycles[(int) (counted * 0.99)] / 1e6);
    }

    /** As LogKV's partition writers configure theirs (PartitionTransactions). */
    private static KafkaProducer<byte[], byte[]> producer(String bootstrap, String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1_000);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 100);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
