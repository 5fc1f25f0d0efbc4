package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** RPO 0: losing the leader broker of a partition mid-load loses no acknowledged write. */
@Tag("integration")
class BrokerLossIT {

    private static final NamespaceName NS = new NamespaceName("durable");

    @TempDir
    Path dataDir;

    @Test
    void acknowledgedWritesSurviveLossOfTheLeaderBroker() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3);
             LogKvNode node = LogKvNode.start("durable", cluster.bootstrapServers(), dataDir)) {
            assertThat(node.putNamespace(NS.value(), "{\"partitions\":3}").statusCode()).isEqualTo(201);
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicInteger refused = new AtomicInteger();
            AtomicBoolean writing = new AtomicBoolean(true);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            List<java.util.concurrent.Future<Object>> running = new java.util.ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                running.add(writers.submit(() -> {
                    for (int i = 0; writing.get(); i++) {
                        String key = "w" + writer + "-" + i;
                        String value = "value-" + key;
                        HttpResponse<String> put = node.put(NS.value(), key, value);
                        if (put.statusCode() == 200) {
                            acknowledged.put(key, value);
                        } else {
                            assertThat(put.statusCode()).as(put.body()).isEqualTo(503);
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(1_500);
            int leader = cluster.leaderOf(NS.truthTopic(), 0);
            int before = acknowledged.size();
            cluster.stopBroker(leader);
            Thread.sleep(4_000);
            writing.set(false);
            writers.shutdown();
            assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            for (java.util.concurrent.Future<Object> writer : running) {
                writer.get(); // a writer that saw anything but 200 or 503 fails the test here
            }
            System.out.printf("broker %d stopped; %d writes acknowledged (%d before), %d refused with 503%n",
                    leader, acknowledged.size(), before, refused.get());

            assertThat(acknowledged.size()).as("writes kept being acknowledged after the broker loss").isGreaterThan(before);
            Map<String, String> inLog = readTruthTopic(cluster);
            acknowledged.forEach((key, value) -> assertThat(inLog.get(key)).as("key %s in the log", key).isEqualTo(value));
            for (Map.Entry<String, String> entry : acknowledged.entrySet()) {
                HttpResponse<String> get = node.send(HttpRequest.newBuilder(
                        URI.create(node.keyUrl(NS.value(), entry.getKey()) + "?consistency=strong&wait_ms=10000")).GET());
                assertThat(get.body()).as("key %s via LogKV", entry.getKey()).isEqualTo(entry.getValue());
            }
        }
    }

    /** Every committed value of the namespace's truth topic, read independently of LogKV's replicas. */
    private static Map<String, String> readTruthTopic(KafkaTestCluster cluster) {
        Map<String, String> values = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : cluster.readCommitted(List.of(new TopicPartition(NS.truthTopic(), 0),
                new TopicPartition(NS.truthTopic(), 1), new TopicPartition(NS.truthTopic(), 2)))) {
            values.put(new String(record.key(), StandardCharsets.UTF_8),
                    new String(RecordEnvelope.decode(record.value()).value(), StandardCharsets.UTF_8));
        }
        return values;
    }
}
