package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Minutes of writes from 64 clients at whatever rate the node takes: no write fails, the node never loses
 * a partition it owns, and every acknowledged write is in the log. Tagged "slow": runs with {@code -Plong}
 * ({@code -Dlogkv.soak.seconds} changes the 300 s).
 */
@Tag("slow")
class SustainedWriteLoadIT {

    private static final int CLIENTS = 64;
    private static final byte[] VALUE = "v".repeat(1024).getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dataDir;

    @Test
    void sixtyFourWritersForFiveMinutesGetNoErrorAndNoOwnershipChange() throws Exception {
        long seconds = Long.getLong("logkv.soak.seconds", 300);
        NamespaceName ns = new NamespaceName("soak-" + Long.toString(System.nanoTime(), 36));
        try (LogKvNode node = LogKvNode.start("soak", KafkaTestCluster.shared().bootstrapServers(), dataDir)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":6}").statusCode()).isIn(200, 201);
            io.logkv.writer.PartitionOwner owner = node.bean(io.logkv.writer.PartitionOwner.class);
            Set<TopicPartition> all = java.util.stream.IntStream.range(0, 6)
                    .mapToObj(p -> new TopicPartition(ns.truthTopic(), p)).collect(Collectors.toSet());
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> owner.owned().containsAll(all));
            double releasedBefore = released(node);

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            AtomicBoolean running = new AtomicBoolean(true);
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            Map<String, String> failures = new ConcurrentHashMap<>();
            AtomicLong longestNanos = new AtomicLong();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> load = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                load.add(clients.submit(() -> {
                    for (int i = 0; running.get(); i++) {
                        String key = "c" + client + "-" + i;
                        long start = System.nanoTime();
                        try {
                            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), key)))
                                    .timeout(Duration.ofSeconds(60)).PUT(HttpRequest.BodyPublishers.ofByteArray(VALUE)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (answer.statusCode() == 200) {
                                acknowledged.put(key, answer.headers().firstValue("ETag").orElse(""));
                            } else {
                                failures.put(key, answer.statusCode() + " " + answer.body());
                            }
                        } catch (Exception e) {
                            failures.put(key, e.toString());
                        }
                        longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                    }
                }));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end && failures.isEmpty()) {
                Thread.sleep(1_000);
                assertThat(owner.owned()).as("partitions owned while under load").containsAll(all);
            }
            running.set(false);
            for (Future<?> f : load) {
                f.get(90, TimeUnit.SECONDS);
            }
            clients.shutdown();
            System.out.printf("%n%d writers, %d s: %d acknowledged (%.0f/s), %d failed, longest write %d ms%n%n", CLIENTS, seconds,
                    acknowledged.size(), acknowledged.size() / (double) seconds, failures.size(),
                    TimeUnit.NANOSECONDS.toMillis(longestNanos.get()));

            assertThat(failures).as("failed writes").isEmpty();
            assertThat(released(node) - releasedBefore).as("partitions this node stopped owning").isZero();
            Set<String> inKafka = KafkaTestCluster.shared().readCommitted(new ArrayList<>(all)).stream()
                    .filter(record -> record.value() != null)
                    .map(record -> new String(record.key(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
            // Set.contains per key: AssertJ's containsAll scans the actual collection once per expected element,
            // quadratic over the hundreds of thousands of writes a soak acknowledges.
            List<String> missing = acknowledged.keySet().stream().filter(key -> !inKafka.contains(key)).toList();
            assertThat(missing).as("acknowledged writes missing from the truth topic").isEmpty();
        }
    }

    private static double released(LogKvNode node) {
        return node.bean(MeterRegistry.class).counter("logkv.writer.partitions.released").count();
    }
}
