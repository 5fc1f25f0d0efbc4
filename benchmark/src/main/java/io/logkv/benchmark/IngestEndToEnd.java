package io.logkv.benchmark;

import io.logkv.client.IngestKeySerializer;
import io.logkv.client.IngestTokens;
import io.logkv.client.IngestWrite;
import io.logkv.client.IngestWriteSerializer;
import io.logkv.client.LogKvTopics;
import io.logkv.core.ApiHeaders;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Streaming-app writes end to end, run in its own JVM beside a running node: a plain producer with
 * LogKV's serializers sends N records to a namespace's ingest topic; the clock stops when the last record
 * of every partition is readable on the node (a session read with that record's token). Prints one line
 * for {@code bench/http/run.sh}.
 *
 * <p>Usage: {@code IngestEndToEnd BOOTSTRAP URL RECORDS VALUE_BYTES}
 */
public final class IngestEndToEnd {

    private static final String NAMESPACE = "default";

    private IngestEndToEnd() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String url = args[1];
        int records = Integer.parseInt(args[2]);
        byte[][] values = TransactionalProducerBaseline.distinctValues(Integer.parseInt(args[3]));
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        String prefix = "ingest-" + System.currentTimeMillis() + "-";
        Map<Integer, RecordMetadata> lastOfPartition = new ConcurrentHashMap<>();
        Map<Integer, String> lastKeyOfPartition = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        try (KafkaProducer<String, IngestWrite> producer = new KafkaProducer<>(props, new IngestKeySerializer(), new IngestWriteSerializer())) {
            for (int i = 0; i < records; i++) {
                String key = prefix + i;
                producer.send(new ProducerRecord<>(LogKvTopics.ingest(NAMESPACE), key, IngestWrite.put(values[i % values.length])), (metadata, error) -> {
                    if (error == null) {
                        lastOfPartition.merge(metadata.partition(), metadata, (a, b) -> a.offset() >= b.offset() ? a : b);
                        if (lastOfPartition.get(metadata.partition()) == metadata) {
                            lastKeyOfPartition.put(metadata.partition(), key);
                        }
                    }
                });
            }
            producer.flush();
        }
        double producedSeconds = (System.nanoTime() - start) / 1e9;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (Map.Entry<Integer, RecordMetadata> last : lastOfPartition.entrySet()) {
            String key = lastKeyOfPartition.get(last.getKey());
            HttpRequest read = HttpRequest.newBuilder(URI.create(url + "/v1/namespaces/" + NAMESPACE + "/keys/" + key + "?wait_ms=10000"))
                    .header(ApiHeaders.TOKEN, IngestTokens.tokenFor(last.getValue())).timeout(Duration.ofSeconds(30)).build();
            while (http.send(read, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                Thread.sleep(10);
            }
        }
        double totalSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "ingest records=%d produced_per_s=%.0f end_to_end_per_s=%.0f last_readable_s=%.1f%n",
                records, records / producedSeconds, records / totalSeconds, totalSeconds);
    }
}
