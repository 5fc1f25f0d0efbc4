package io.logkv.benchmark;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The write baseline: one shared plain producer ({@code acks=all}, idempotent, linger 0, LZ4 like
 * LogKV's writer), every client sending one record and waiting for its acknowledgement. No durable
 * write on this cluster can be acknowledged faster; the producer still batches what clients send at once.
 */
final class RawProducerWrites implements WriteTarget {

    private final String topic;
    private final byte[] value;
    private final String runId;
    private final KafkaProducer<byte[], byte[]> producer;

    RawProducerWrites(String bootstrapServers, String topic, byte[] value, String runId) {
        this.topic = topic;
        this.value = value;
        this.runId = runId;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public void write(int client, long sequence) throws Exception {
        byte[] key = (runId + "-" + client + "-" + sequence).getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    @Override
    public void close() {
        producer.close();
    }
}
