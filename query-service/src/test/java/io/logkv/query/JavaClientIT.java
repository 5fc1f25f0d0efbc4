package io.logkv.query;

import io.logkv.client.http.ConditionFailedException;
import io.logkv.client.http.Consistency;
import io.logkv.client.http.KeyValue;
import io.logkv.client.http.LogKvClient;
import io.logkv.client.http.LogKvException;
import io.logkv.client.http.LogKvSession;
import io.logkv.client.http.WriteOptions;
import io.logkv.client.http.Written;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Java client against real nodes: sessions that read their own writes on any node (threads sharing a
 * session included), requests routed straight to owners and replicas once the topology is known, typed
 * problems, conditional writes, and writes that go on through the loss of a node.
 */
@Tag("integration")
class JavaClientIT {

    private final String ns = "client-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    @Test
    void sessionsReadTheirWritesRoutedStraightToTheNodesThatServeTheKey() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s"};
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (LogKvNode a = LogKvNode.start("client-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("client-b", kafka, dataDir.resolve("b"), args);
             LogKvClient client = LogKvClient.builder().nodes(a.url("")).topologyRefresh(Duration.ofSeconds(1)).meterRegistry(meters).build()) {
            assertThat(a.putNamespace(ns, "{\"partitions\":6}").statusCode()).isIn(200, 201);
            awaitEveryPartitionOwnedAndServed(a);

            // Warm up: the first requests may take a hop while the client learns the topology.
            for (int i = 0; i < 50; i++) {
                client.put(ns, "warm-" + i, "w");
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                double before = meters.get("logkv.client.hops").counter().count();
                for (int i = 0; i < 30; i++) {
                    client.put(ns, "probe-" + i, "p");
                    client.get(ns, "probe-" + i);
                }
                assertThat(meters.get("logkv.client.hops").counter().count()).as("no hop once the topology is known").isEqualTo(before);
            });

            // 1,000 write/read pairs: threads sharing one session each write keys and read them straight back, on
            // whatever node serves them; no token is handled here.
            LogKvSession session = client.session();
            ExecutorService threads = Executors.newFixedThreadPool(8);
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                work.add(threads.submit(() -> {
                    for (int i = 0; i < 125; i++) {
                        String key = "k-" + thread + "-" + i;
                        Written written = session.put(ns, key, "v" + i);
                        Optional<KeyValue> read = session.get(ns, key);
                        assertThat(read).as(key).isPresent();
                        assertThat(read.get().version()).as(key).isEqualTo(written.version());
                        assertThat(read.get().text()).isEqualTo("v" + i);
                    }
                    return null;
                }));
            }
            for (Future<?> done : work) {
                done.get(120, TimeUnit.SECONDS);
            }
            threads.shutdown();
            // What one thread wrote, another thread of the session reads (the token is shared).
            assertThat(session.get(ns, "k-3-124").map(KeyValue::text)).contains("v124");
            assertThat(session.currentToken()).isNotBlank();
            // A session handed over by its token continues where it was.
            LogKvSession continued = client.session(session.currentToken());
            assertThat(continued.get(ns, "k-7-0").map(KeyValue::text)).contains("v0");

            Map<String, Optional<KeyValue>> batch = session.batchGet(ns, List.of("k-0-0", "k-1-1", "missing"));
            assertThat(batch.get("k-0-0").map(KeyValue::text)).contains("v0");
            assertThat(batch.get("k-1-1").map(KeyValue::text)).contains("v1");
            assertThat(batch.get("missing")).isEmpty();
            assertThat(client.get(ns, "missing", Consistency.STRONG)).isEmpty();
            assertThat(meters.get("logkv.client.requests").tag("operation", "put").timer().count()).isGreaterThan(1_000);
        }
    }

    @Test
    void conditionsAndProblemsAreTyped() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode a = LogKvNode.start("client-c", kafka, dataDir.resolve("c"));
             LogKvClient client = LogKvClient.builder().nodes(a.url("/")).requestDeadline(Duration.ofSeconds(20)).build()) {
            assertThat(a.putNamespace(ns, "{\"partitions\":2}").statusCode()).isIn(200, 201);
            byte[] one = "1".getBytes(StandardCharsets.UTF_8);
            Written first = client.putIfAbsent(ns, "counter", one, WriteOptions.defaults().contentType("text/plain"));
            assertThatThrownBy(() -> client.putIfAbsent(ns, "counter", one, WriteOptions.defaults()))
                    .isInstanceOfSatisfying(ConditionFailedException.class, failed -> assertThat(failed.currentVersion()).isEqualTo(first.version()));
            Written second = client.putIfVersion(ns, "counter", "2".getBytes(StandardCharsets.UTF_8), first.version(), WriteOptions.defaults());
            assertThatThrownBy(() -> client.putIfVersion(ns, "counter", "3".getBytes(StandardCharsets.UTF_8), first.version(), WriteOptions.defaults()))
                    .isInstanceOfSatisfying(ConditionFailedException.class, failed -> assertThat(failed.currentVersion()).isEqualTo(second.version()));
            assertThat(client.get(ns, "counter", Consistency.STRONG).map(KeyValue::text)).contains("2");

            // The same Idempotency-Key twice is one write: the second answer repeats the first.
            WriteOptions once = WriteOptions.defaults().idempotencyKey("once-" + ns);
            Written applied = client.put(ns, "once", "a".getBytes(StandardCharsets.UTF_8), once);
            Written repeated = client.put(ns, "once", "b".getBytes(StandardCharsets.UTF_8), once);
            assertThat(repeated.version()).isEqualTo(applied.version());
            assertThat(client.get(ns, "once", Consistency.STRONG).map(KeyValue::text)).contains("a");

            client.put(ns, "short-lived", "x".getBytes(StandardCharsets.UTF_8), WriteOptions.defaults().ttl(Duration.ofHours(1)));
            assertThat(client.get(ns, "short-lived", Consistency.STRONG).orElseThrow().expiresAt()).isNotNull();
            client.deleteIfVersion(ns, "counter", second.version());
            assertThat(client.get(ns, "counter", Consistency.STRONG)).isEmpty();

            assertThatThrownBy(() -> client.put(ns, "big", new byte[2 * 1024 * 1024], WriteOptions.defaults()))
                    .isInstanceOfSatisfying(LogKvException.class, e -> {
                        assertThat(e.status()).isEqualTo(413);
                        assertThat(e.type()).isEqualTo("value-too-large");
                    });
            assertThatThrownBy(() -> client.get("no-such-namespace-" + ns, "k"))
                    .isInstanceOfSatisfying(LogKvException.class, e -> assertThat(e.type()).isEqualTo("namespace-not-found"));
        }
    }

    @Test
    void writesGoOnThroughTheLossOfANode() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = {"--logkv.writer.session-timeout=3s"};
        LogKvNode a = LogKvNode.start("client-d", kafka, dataDir.resolve("d"), args);
        LogKvNode b = LogKvNode.start("client-e", kafka, dataDir.resolve("e"), args);
        try (LogKvClient client = LogKvClient.builder().nodes(a.url(""), b.url("")).topologyRefresh(Duration.ofSeconds(1))
                .requestDeadline(Duration.ofSeconds(30)).attemptTimeout(Duration.ofSeconds(5)).build()) {
            assertThat(a.putNamespace(ns, "{\"partitions\":4}").statusCode()).isIn(200, 201);
            awaitEveryPartitionOwnedAndServed(a);
            LogKvSession session = client.session();
            for (int i = 0; i < 40; i++) {
                session.put(ns, "before-" + i, "v" + i);
            }
            b.close();
            long start = System.nanoTime();
            for (int i = 0; i < 40; i++) {
                session.put(ns, "after-" + i, "v" + i);
            }
            System.out.printf("40 writes through the loss of a node took %d ms%n", (System.nanoTime() - start) / 1_000_000);
            for (int i = 0; i < 40; i++) {
                assertThat(session.get(ns, "before-" + i).map(KeyValue::text)).contains("v" + i);
                assertThat(session.get(ns, "after-" + i).map(KeyValue::text)).contains("v" + i);
            }
            // Retried across the fail-over, each write is in the log once.
            List<org.apache.kafka.common.TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                partitions.add(new org.apache.kafka.common.TopicPartition(new io.logkv.core.NamespaceName(ns).truthTopic(), p));
            }
            Map<String, Long> records = KafkaTestCluster.shared().readCommitted(partitions).stream()
                    .filter(record -> record.key() != null && record.key().length > 0)
                    .collect(java.util.stream.Collectors.groupingBy(record -> new String(record.key(), StandardCharsets.UTF_8),
                            java.util.stream.Collectors.counting()));
            for (int i = 0; i < 40; i++) {
                assertThat(records.get("before-" + i)).as("before-" + i).isEqualTo(1L);
                assertThat(records.get("after-" + i)).as("after-" + i).isEqualTo(1L);
            }
        } finally {
            a.close();
            b.close();
        }
    }

    /**
     * The client's watch: every change exactly once and in log order per partition, although the node ends
     * each stream after 2 s and the client resumes it after its last change each time.
     */
    @Test
    void aWatchSeesEveryChangeOnceAcrossReconnects() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode a = LogKvNode.start("client-f", kafka, dataDir.resolve("f"), "--logkv.watch.max-duration=2s");
             LogKvClient client = LogKvClient.builder().nodes(a.url("")).build()) {
            assertThat(a.putNamespace(ns, "{\"partitions\":3}").statusCode()).isIn(200, 201);
            String start = client.session().put(ns, "before-the-watch", "x").token();
            List<io.logkv.client.http.Change> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Flow.Subscription> subscription = new java.util.concurrent.atomic.AtomicReference<>();
            client.watch(ns, "w-", start).subscribe(new java.util.concurrent.Flow.Subscriber<>() {
                @Override
                public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                    subscription.set(s);
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(io.logkv.client.http.Change change) {
                    seen.add(change);
                }

                @Override
                public void onError(Throwable error) {
                }

                @Override
                public void onComplete() {
                }
            });
            for (int i = 0; i < 60; i++) {
                client.put(ns, "w-" + i, "v" + i);
                client.put(ns, "not-watched-" + i, "x");
                if (i % 10 == 9) {
                    Thread.sleep(1_000); // streams end and resume meanwhile
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 60);
            Thread.sleep(2_500);
            subscription.get().cancel();
            assertThat(seen).extracting(io.logkv.client.http.Change::key).doesNotHaveDuplicates().hasSize(60)
                    .allMatch(key -> key.startsWith("w-"));
            assertThat(seen).allMatch(change -> change.type().equals("put") && change.text().equals("v" + change.key().substring(2)));
            for (int p = 0; p < 3; p++) {
                int partition = p;
                List<Long> positions = seen.stream().filter(c -> c.partition() == partition).map(io.logkv.client.http.Change::position).toList();
                assertThat(positions).as("partition %d in log order", p).isSorted();
            }
        }
    }

    /** Waits until every partition of the test's namespace has an owner and a serving replica, as {@code node} describes it. */
    private void awaitEveryPartitionOwnedAndServed(LogKvNode node) {
        tools.jackson.databind.ObjectMapper json = tools.jackson.databind.json.JsonMapper.builder().build();
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            tools.jackson.databind.JsonNode description = json.readTree(
                    node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.url("/v1/namespaces/" + ns)))).body());
            assertThat(description.path("topology")).hasSize(description.path("partitions").asInt());
            for (tools.jackson.databind.JsonNode partition : description.path("topology")) {
                assertThat(partition.path("owner").asString("")).as("owner of %s", partition).isNotEmpty();
                boolean serving = false;
                for (tools.jackson.databind.JsonNode replica : partition.path("replicas")) {
                    serving |= replica.path("state").path("serving").asBoolean(false);
                }
                assertThat(serving).as("a serving replica of %s", partition).isTrue();
            }
        });
    }
}
