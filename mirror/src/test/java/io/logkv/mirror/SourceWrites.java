package io.logkv.mirror;

import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes into a truth topic of the source region as a partition owner does: transactions of puts and
 * tombstones with headers, some of them aborted (which no region may ever show).
 */
final class SourceWrites implements AutoCloseable {

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private long sequence;
    private long aborted;
    private long committed;

    SourceWrites(KafkaTestCluster source, String topic, int partitions) {
        this.topic = topic;
        new TruthTopics(source.admin(), new TruthTopicRequirements(3, 2, 1024 * 1024 + 64 * 1024), Duration.ofSeconds(30))
                .ensure(topic, partitions);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, source.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "source-writes-" + topic);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
    }

    /**
     * One transaction of {@code records} writes: every fifth a tombstone, the others values with an
     * idempotency-key header; committed, or aborted when {@code abort}.
     */
    void transaction(int records, boolean abort) {
        producer.beginTransaction();
        for (int i = 0; i < records; i++) {
            long n = sequence++;
            byte[] key = ("key-" + (n % 97)).getBytes(StandardCharsets.UTF_8);
            ProducerRecord<byte[], byte[]> record;
            if (n % 5 == 4) {
                record = new ProducerRecord<>(topic, key, null);
                record.headers().add(Tombstones.versionHeader(new Version(n << 16, 7)));
            } else {
                record = new ProducerRecord<>(topic, key, ("value-" + n + (abort ? "-aborted" : "")).getBytes(StandardCharsets.UTF_8));
                record.headers().add(new RecordHeader("logkv.idempotency-key", ("idem-" + n).getBytes(StandardCharsets.UTF_8)));
            }
            producer.send(record);
        }
        if (abort) {
            producer.abortTransaction();
            aborted += records;
        } else {
            producer.commitTransaction();
            committed += records;
        }
    }

    long committed() {
        return committed;
    }

    long aborted() {
        return aborted;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
