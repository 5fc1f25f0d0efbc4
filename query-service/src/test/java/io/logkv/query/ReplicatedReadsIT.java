package io.logkv.query;

import io.logkv.core.KeyPartitioner;
import io.logkv.core.NamespaceName;
import io.logkv.materializer.LocalReplicas;
import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three nodes, two replicas per partition: reads stay correct and available whichever node they reach,
 * while replicas lag, are rebuilt, or lose their node.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicatedReadsIT {

    private static final String NS = "replicated-" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    private static final int PARTITIONS = 6;
    private static final int COPIES = 2;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String[] SETTINGS = {
            "--logkv.replicas.copies=" + COPIES,
            "--logkv.replicas.placement-refresh=300ms",
            "--logkv.replicas.release-delay=2s",
            "--logkv.writer.session-timeout=1s",
            "--logkv.writer.transaction-timeout=5s"};

    @TempDir
    static Path dataDir;
    static final List<LogKvNode> nodes = new ArrayList<>();

    @BeforeAll
    static void startNodes() {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        // The namespace is created before the other nodes start: three nodes joining at once each take over
        // every partition of the shared cluster's namespaces, and creation then answered 409 or lost its
        // connection once in a few runs: an open finding (docs/performance.md, caveats).
        nodes.add(LogKvNode.start("replicated-0", kafka, dataDir.resolve("n0"), SETTINGS));
        java.net.http.HttpResponse<String> created = nodes.get(0).putNamespace(NS, "{\"partitions\":" + PARTITIONS + "}");
        assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
        for (int i = 1; i < 3; i++) {
            nodes.add(LogKvNode.start("replicated-" + i, kafka, dataDir.resolve("n" + i), SETTINGS));
        }
        awaitPlacementSettled();
    }

    @AfterAll
    static void stopNodes() {
        nodes.forEach(LogKvNode::close);
    }

    @Test
    @Order(1)
    void eachPartitionIsHeldByExactlyTheConfiguredNumberOfNodes() {
        Map<Integer, Integer> holders = new HashMap<>();
        for (LogKvNode node : nodes) {
            for (JsonNode replica : json(node.send(get(node, "/v1/admin/replicas"))).path("replicas")) {
                if (replica.path("namespace").asString().equals(NS)) {
                    holders.merge(replica.path("partition").asInt(), 1, Integer::sum);
                }
            }
        }
        assertThat(holders).hasSize(PARTITIONS).allSatisfy((partition, count) -> assertThat(count).isEqualTo(COPIES));
        JsonNode topology = json(nodes.get(1).send(get(nodes.get(1), "/v1/namespaces/" + NS))).path("topology");
        assertThat(topology.size()).isEqualTo(PARTITIONS);
        for (JsonNode partition : topology) {
            assertThat(partition.path("replicas").size()).isEqualTo(COPIES);
            assertThat(partition.path("replicas").get(0).path("node").asString()).isEqualTo(partition.path("owner").asString());
            assertThat(partition.path("replicas").get(1).path("state").path("appliedPosition").isNumber()).isTrue();
        }
    }

    @Test
    @Order(2)
    void aStrongReadOnAnotherNodeSeesEveryAcknowledgedWrite() {
        List<String> unavailable = new ArrayList<>();
        Set<String> servedBy = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            LogKvNode writer = nodes.get(i % 3);
            LogKvNode reader = nodes.get((i + 1) % 3);
            String key = "strong-" + (i % 53);
            String value = "value-" + i;
            assertThat(writer.put(NS, key, value).statusCode()).isEqualTo(200);
            HttpResponse<String> read = reader.send(HttpRequest.newBuilder(URI.create(reader.keyUrl(NS, key) + "?consistency=strong&wait_ms=10000")).GET());
            if (read.statusCode() == 503) {
                // Not an answer: a replica that cannot reach the partition's end in time says so. It must say when to retry.
                assertThat(read.headers().firstValue("Retry-After")).as("503 of read %d: %s", i, read.body()).isPresent();
                unavailable.add("read " + i + " on " + reader.url("") + ": " + read.body());
                continue;
            }
            // Any other answer must be the acknowledged write: an older value or a 404 is a stale strong read.
            assertThat(read.statusCode()).as("strong read %d of %s on %s after the write on %s: %s", i, key, reader.url(""),
                    writer.url(""), read.body()).isEqualTo(200);
            assertThat(read.body()).as("strong read %d of %s on %s (served by %s) after the write on %s", i, key, reader.url(""),
                    read.headers().firstValue("KV-Served-By").orElse("?"), writer.url("")).isEqualTo(value);
            read.headers().firstValue("KV-Served-By").ifPresent(servedBy::add);
        }
        assertThat(unavailable).as("strong reads answered 503 (not stale, but unavailable)").isEmpty();
        assertThat(servedBy).as("reads were answered by replicas on every node").hasSize(3);
    }

    @Test
    @Order(3)
    void batchGetReadsKeysOfEveryPartitionFromAnyNode() {
        Map<String, String> written = new HashMap<>();
        HttpResponse<String> last = null;
        for (int i = 0; i < 40; i++) {
            last = nodes.get(i % 3).put(NS, "batch-" + i, "batch-value-" + i);
            written.put("batch-" + i, "batch-value-" + i);
        }
        List<String> keys = new ArrayList<>(written.keySet());
        keys.add("batch-missing");
        for (LogKvNode node : nodes) {
            HttpResponse<String> answer = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + NS + "/batch-get")))
                    .header("Content-Type", "application/json")
                    .header("KV-Token", last.headers().firstValue("KV-Token").orElseThrow())
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("keys", keys)))));
            assertThat(answer.statusCode()).isEqualTo(200);
            JsonNode items = json(answer).path("items");
            assertThat(items.size()).isEqualTo(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                JsonNode item = items.get(i);
                assertThat(item.path("key").asString()).isEqualTo(keys.get(i));
                if (written.containsKey(keys.get(i))) {
                    assertThat(item.path("found").asBoolean()).isTrue();
                    assertThat(new String(Base64.getDecoder().decode(item.path("value").asString()), StandardCharsets.UTF_8))
                            .isEqualTo(written.get(keys.get(i)));
                } else {
                    assertThat(item.path("found").asBoolean()).isFalse();
                }
            }
            assertThat(answer.headers().firstValue("KV-Token")).isPresent();
        }
    }

    @Test
    @Order(4)
    void aSessionReadOnALaggingReplicaWaitsOrAnswers503ButNeverReturnsTheOldValue() throws Exception {
        String key = "lagging-key";
        int partition = KeyPartitioner.partitionOf(key.getBytes(StandardCharsets.UTF_8), PARTITIONS);
        assertThat(nodes.get(0).put(NS, key, "old").statusCode()).isEqualTo(200);
        LogKvNode lagging = replicaHolderThatDoesNotOwn(partition);
        LocalReplicas replicas = lagging.bean(LocalReplicas.class);
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 10; round++) {
                replicas.pause(new NamespaceName(NS), partition).get(5, TimeUnit.SECONDS);
                String value = "new-" + round;
                HttpResponse<String> put = nodes.get(round % 3).put(NS, key, value);
                assertThat(put.statusCode()).isEqualTo(200);
                String token = put.headers().firstValue("KV-Token").orElseThrow();

                long started = System.nanoTime();
                HttpResponse<String> impatient = lagging.send(HttpRequest.newBuilder(
                        URI.create(lagging.keyUrl(NS, key) + "?wait_ms=300")).header("KV-Token", token).GET());
                long tookMs = (System.nanoTime() - started) / 1_000_000;
                assertThat(impatient.statusCode()).as("a read that cannot catch up in time").isEqualTo(503);
                assertThat(impatient.body()).contains("not-caught-up");
                assertThat(impatient.headers().firstValue("Retry-After")).isPresent();
                assertThat(tookMs).isBetween(250L, 5_000L);

                Future<HttpResponse<String>> patient = readers.submit(() -> lagging.send(HttpRequest.newBuilder(
                        URI.create(lagging.keyUrl(NS, key) + "?wait_ms=8000")).header("KV-Token", token).GET()));
                Thread.sleep(300);
                assertThat(patient.isDone()).as("the patient read waits for the replica").isFalse();
                replicas.resume(new NamespaceName(NS), partition).get(5, TimeUnit.SECONDS);
                HttpResponse<String> answer = patient.get(15, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo(value);
                assertThat(answer.headers().firstValue("KV-Served-By")).contains("replicated-" + nodes.indexOf(lagging));
            }
        } finally {
            replicas.resume(new NamespaceName(NS), partition).get(5, TimeUnit.SECONDS);
            readers.shutdownNow();
        }
    }

    @Test
    @Order(5)
    void aRebuiltReplicaEndsWithTheDigestsOfItsPeers() throws Exception {
        for (int i = 0; i < 300; i++) {
            nodes.get(i % 3).put(NS, "rebuild-" + i, "rebuild-value-" + i);
        }
        // Ownership is balanced over every namespace's partitions, not per namespace: a node may own all the
        // partitions of NS it holds, so look for a node holding one it does not own.
        LogKvNode node = null;
        int partition = -1;
        for (LogKvNode candidate : nodes) {
            for (JsonNode replica : json(candidate.send(get(candidate, "/v1/admin/replicas"))).path("replicas")) {
                int p = replica.path("partition").asInt();
                if (node == null && replica.path("namespace").asString().equals(NS) && !ownerUrl(p).equals(candidate.url(""))) {
                    node = candidate;
                    partition = p;
                }
            }
        }
        assertThat(partition).as("some node holds a replica it does not own").isNotNegative();
        LogKvNode holder = node;
        HttpResponse<String> started = holder.send(HttpRequest.newBuilder(URI.create(node.url(
                "/v1/admin/namespaces/" + NS + "/partitions/" + partition + "/rebuild"))).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        assertThat(json(started).path("targetPosition").asLong()).isPositive();
        int rebuilt = partition;
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            JsonNode rebuilds = json(holder.send(get(holder, "/v1/admin/rebuilds"))).path("rebuilds");
            JsonNode mine = null;
            for (JsonNode r : rebuilds) {
                if (r.path("namespace").asString().equals(NS) && r.path("partition").asInt() == rebuilt) {
                    mine = r;
                }
            }
            assertThat(mine).isNotNull();
            assertThat(mine.path("state").asString()).isEqualTo("done");
            assertThat(mine.path("percentDone").asDouble()).isEqualTo(100.0);
            assertThat(mine.path("records").asLong()).isPositive();
        });
        JsonNode comparison = json(node.send(get(node, "/v1/admin/namespaces/" + NS + "/partitions/" + partition + "/digests?wait_ms=5000")));
        assertThat(comparison.path("status").asString()).as(comparison.toString()).isEqualTo("agree");
        assertThat(comparison.path("replicas").size()).isEqualTo(COPIES);

        LogKvNode owner = nodes.stream().filter(n -> n.url("").equals(ownerUrl(0))).findFirst().orElseThrow();
        HttpResponse<String> owned = owner.send(HttpRequest.newBuilder(URI.create(owner.url(
                "/v1/admin/namespaces/" + NS + "/partitions/0/rebuild"))).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(owned.statusCode()).as("the owner's own replica is not wiped under it").isEqualTo(409);
    }

    @Test
    @Order(6)
    void losingANodeUnderReadLoadLeavesEveryKeyReadableAndTheReplicasAgreeAfterItReturns() throws Exception {
        Map<String, String> values = new HashMap<>();
        Map<String, String> tokens = new HashMap<>();
        for (int i = 0; i < 120; i++) {
            String key = "loss-" + i;
            HttpResponse<String> put = nodes.get(i % 3).put(NS, key, "loss-value-" + i);
            assertThat(put.statusCode()).isEqualTo(200);
            values.put(key, "loss-value-" + i);
            tokens.put(key, put.headers().firstValue("KV-Token").orElseThrow());
        }
        List<String> keys = new ArrayList<>(values.keySet());
        LogKvNode victim = nodes.get(1);
        List<LogKvNode> survivors = List.of(nodes.get(0), nodes.get(2));

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger stale = new AtomicInteger();
        AtomicLong firstFailure = new AtomicLong(Long.MAX_VALUE);
        AtomicLong lastFailure = new AtomicLong(Long.MIN_VALUE);
        Map<Integer, Integer> failureStatuses = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> load = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            LogKvNode node = survivors.get(c % 2);
            load.add(clients.submit(() -> {
                while (running.get()) {
                    String key = keys.get(ThreadLocalRandom.current().nextInt(keys.size()));
                    HttpResponse<String> read;
                    try {
                        read = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(NS, key) + "?wait_ms=2000"))
                                .header("KV-Token", tokens.get(key)).GET());
                    } catch (RuntimeException e) {
                        read = null;
                    }
                    reads.incrementAndGet();
                    if (read == null || read.statusCode() != 200) {
                        long now = System.nanoTime();
                        failures.incrementAndGet();
                        failureStatuses.merge(read == null ? -1 : read.statusCode(), 1, Integer::sum);
                        firstFailure.accumulateAndGet(now, Math::min);
                        lastFailure.accumulateAndGet(now, Math::max);
                    } else if (!read.body().equals(values.get(key))) {
                        stale.incrementAndGet();
                    }
                }
            }));
        }
        Thread.sleep(1_500);
        long killedAt = System.nanoTime();
        victim.stopAnsweringHttp(); // as if the process died: its peers still place replicas on it
        Thread.sleep(3_000);
        victim.stop(); // its group membership ends: partitions and replicas move
        Thread.sleep(4_000);
        running.set(false);
        for (Future<?> f : load) {
            f.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();
        double windowMs = failures.get() == 0 ? 0 : (lastFailure.get() - firstFailure.get()) / 1e6;
        System.out.printf("node loss: %d reads, %d failed %s, failed-read window %.0f ms (first failure %.0f ms after the stop), %d stale%n",
                reads.get(), failures.get(), failureStatuses, windowMs,
                failures.get() == 0 ? 0.0 : (firstFailure.get() - killedAt) / 1e6, stale.get());
        assertThat(stale.get()).as("reads carrying a token never return an older value").isZero();
        assertThat(failures.get()).as("reads failed while a node died (statuses %s; -1: no answer); every partition has "
                + "another serving replica, so none may fail", failureStatuses).isZero();
        assertThat(reads.get()).isGreaterThan(100);

        for (String key : keys) {
            for (LogKvNode node : survivors) {
                HttpResponse<String> read = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(NS, key) + "?wait_ms=5000"))
                        .header("KV-Token", tokens.get(key)).GET());
                assertThat(read.statusCode()).as("%s on %s after the loss", key, node.url("")).isEqualTo(200);
                assertThat(read.body()).isEqualTo(values.get(key));
            }
        }

        long restartedAt = System.nanoTime();
        victim.start();
        awaitPlacementSettled();
        System.out.printf("node loss: the restarted node was ready, with every replica placed and serving, after %.1f s%n",
                (System.nanoTime() - restartedAt) / 1e9);
        JsonNode comparison = json(victim.send(get(victim, "/v1/admin/namespaces/" + NS + "/digests?wait_ms=10000")));
        assertThat(comparison.path("status").asString()).as(comparison.toString()).isEqualTo("agree");
    }

    /** Waits until every partition has its replicas placed, opened and serving, and no extra ones remain. */
    private static void awaitPlacementSettled() {
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            for (LogKvNode node : nodes) {
                assertThat(node.send(get(node, "/actuator/health/readiness")).statusCode()).isEqualTo(200);
            }
            JsonNode topology = json(nodes.get(0).send(get(nodes.get(0), "/v1/namespaces/" + NS))).path("topology");
            Map<Integer, Integer> serving = new HashMap<>();
            for (JsonNode partition : topology) {
                assertThat(partition.path("owner").isString()).isTrue();
                for (JsonNode replica : partition.path("replicas")) {
                    assertThat(replica.path("state").path("serving").asBoolean()).as(partition.toString()).isTrue();
                }
                serving.put(partition.path("partition").asInt(), partition.path("replicas").size());
            }
            assertThat(serving).hasSize(PARTITIONS).allSatisfy((p, count) -> assertThat(count).isEqualTo(COPIES));
            int held = 0;
            for (LogKvNode node : nodes) {
                for (JsonNode replica : json(node.send(get(node, "/v1/admin/replicas"))).path("replicas")) {
                    if (replica.path("namespace").asString().equals(NS)) {
                        held++;
                    }
                }
            }
            assertThat(held).as("replicas released after the placement settled").isEqualTo(PARTITIONS * COPIES);
        });
    }

    private LogKvNode replicaHolderThatDoesNotOwn(int partition) {
        String owner = ownerUrl(partition);
        JsonNode topology = json(nodes.get(0).send(get(nodes.get(0), "/v1/namespaces/" + NS))).path("topology");
        for (JsonNode replica : topology.get(partition).path("replicas")) {
            String url = replica.path("node").asString();
            if (!url.equals(owner)) {
                return nodes.stream().filter(n -> n.url("").equals(url)).findFirst().orElseThrow();
            }
        }
        throw new AssertionError("no non-owner replica of partition " + partition);
    }

    private static String ownerUrl(int partition) {
        JsonNode topology = json(nodes.get(0).send(get(nodes.get(0), "/v1/namespaces/" + NS))).path("topology");
        return topology.get(partition).path("owner").asString();
    }

    private static HttpRequest.Builder get(LogKvNode node, String path) {
        return HttpRequest.newBuilder(URI.create(node.url(path))).GET();
    }

    private static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }
}
