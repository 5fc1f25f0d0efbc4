package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two LogKV nodes as separate processes on a three-broker cluster; clients write through one node only,
 * which forwards about half the writes to the other.
 *
 * <p>When that other node is killed with SIGKILL mid-load, no write fails (the survivor retries the forwards
 * until the group gives it the dead node's partitions), no acknowledged write is lost (read back from the
 * truth topic), and the longest write, the fail-over window a client sees, is printed.
 *
 * <p>When it hangs (SIGSTOP) instead, a write forwarded to it is answered 503 once its forward attempt times
 * out, and when the owner wakes and reads that write, the caller's deadline, which travelled with it, has
 * passed: the owner refuses it unsent, so a write answered as failed never appears in the log afterwards.
 */
@Tag("integration")
class ForwardedWritesThroughNodeKillIT {

    private static final int WRITERS = 8;
    private static final int PARTITIONS = 6;
    private static final String TRUTH_TOPIC = "logkv.truth.default";
    private static final Duration BEFORE_KILL = Duration.ofSeconds(3);
    private static final Duration AFTER_KILL = Duration.ofSeconds(15);
    private static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration NODE_STOP_GRACE = Duration.ofSeconds(40);
    /** Short, so that the group gives the killed node's partitions away within the writes' 25 s deadline quickly. */
    private static final String SESSION_TIMEOUT = "--logkv.writer.session-timeout=3s";
    private static final byte[] VALUE = "v".repeat(1024).getBytes(StandardCharsets.UTF_8);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** How long the owner hangs: longer than a forward attempt, shorter than the writers' session. */
    private static final Duration HANG = Duration.ofSeconds(4);
    private static final List<String> PROMPT_FORWARDS = List.of("--logkv.writer.session-timeout=10s",
            "--logkv.writer.forward-attempt-timeout=1s");

    @TempDir
    static Path shared;
    private static LocalKafkaCluster cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka() throws Exception {
        cluster = new LocalKafkaCluster(shared.resolve("kafka"), KafkaPorts.ephemeral(LocalKafkaCluster.NODES),
                KafkaJvm.fromBuild(), ForwardedWritesThroughNodeKillIT::log);
        cluster.start(Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopKafka() throws InterruptedException {
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    void forwardedWritesOutliveTheSigkillOfTheirOwnerAndNoAcknowledgedWriteIsLost() throws Exception {
        List<LogKvNodeProcess> nodes = new ArrayList<>();
        try {
            startTwoNodes("node", List.of(SESSION_TIMEOUT), nodes);
            Map<Integer, String> owners = awaitEveryPartitionOwnedByBothNodes(nodes.get(0));
            log("owners: " + owners);
            LogKvNodeProcess victim = nodes.stream().filter(node -> node.url().equals(owners.get(0))).findFirst().orElseThrow();
            LogKvNodeProcess survivor = nodes.get(0) == victim ? nodes.get(1) : nodes.get(0);

            Outcome outcome = writeThroughKill(survivor, victim);
            log("outcome: " + outcome);
            System.out.printf("%nLogKV node SIGKILL under %d writers through the survivor: longest write %d ms%n%n",
                    WRITERS, outcome.longestMs());

            assertThat(outcome.firstFailure()).as("the first failed write (writers stopped there)").isNull();
            assertThat(outcome.acknowledgedAfterKill()).as("writes acknowledged after the kill").isPositive();
            Set<String> inKafka = CommittedKeys.of(cluster.bootstrapServers(), TRUTH_TOPIC);
            List<String> lost = outcome.acknowledged().stream().filter(key -> !inKafka.contains(key)).sorted().toList();
            assertThat(lost).as("acknowledged writes missing from " + TRUTH_TOPIC + " (" + outcome.acknowledged().size()
                    + " acknowledged)" + LostWrites.explain(cluster.bootstrapServers(), TRUTH_TOPIC, lost)).isEmpty();

            long stopping = System.nanoTime();
            assertThat(survivor.stop(NODE_STOP_GRACE)).as(survivor + " stopped by SIGTERM within the grace").isTrue();
            log(survivor + " stopped gracefully in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping) + " ms");
        } catch (Throwable failure) {
            nodes.forEach(node -> System.out.println(node + "'s log, last lines:\n" + node.logTail(40)));
            throw failure;
        } finally {
            for (LogKvNodeProcess node : nodes) {
                node.kill();
            }
        }
    }

    @Test
    void aWriteForwardedToAHungOwnerFailsInTimeAndIsNotCommittedWhenTheOwnerWakes() throws Exception {
        List<LogKvNodeProcess> nodes = new ArrayList<>();
        try {
            startTwoNodes("hung", PROMPT_FORWARDS, nodes);
            Map<Integer, String> owners = awaitEveryPartitionOwnedByBothNodes(nodes.get(0));
            LogKvNodeProcess owner = nodes.stream().filter(node -> node.url().equals(owners.get(0))).findFirst().orElseThrow();
            LogKvNodeProcess caller = nodes.get(0) == owner ? nodes.get(1) : nodes.get(0);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String prompt = keyOwnedBy(owners, owner, "prompt");
            String late = keyOwnedBy(owners, owner, "late");
            // A write forwarded to the owner while it runs (its first takes a fencing of the partition's transactions,
            // which may outlast a 1 s forward attempt on a busy machine).
            long warmUpUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (put(http, caller, prompt).statusCode() != 200) {
                assertThat(System.nanoTime()).as("a write forwarded to the running owner succeeded within 30 s").isLessThan(warmUpUntil);
                Thread.sleep(200);
            }

            log("SIGSTOP " + owner);
            owner.suspend();
            long start = System.nanoTime();
            HttpResponse<String> answer;
            long answeredMs;
            try {
                answer = put(http, caller, late);
                answeredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            } finally {
                Thread.sleep(Math.max(0, HANG.toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
                log("SIGCONT " + owner);
                owner.resume();
            }
            log("the write forwarded to the hung owner, answered in " + answeredMs + " ms: " + answer.statusCode() + " " + answer.body());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
            assertThat(answer.body()).contains("/problems/owner-unreachable");
            assertThat(answeredMs).as("answered when its forward attempt timed out, before the owner woke").isLessThan(HANG.toMillis());

            // The owner now reads the write the caller gave up on; it must refuse it, not commit it late.
            assertThat(put(http, caller, keyOwnedBy(owners, owner, "after")).statusCode()).as("the owner serves again").isEqualTo(200);
            Set<String> inKafka = CommittedKeys.of(cluster.bootstrapServers(), TRUTH_TOPIC);
            assertThat(inKafka).as("keys in " + TRUTH_TOPIC).contains(prompt).doesNotContain(late);
            log("the late write is not in the log");
        } catch (Throwable failure) {
            nodes.forEach(node -> System.out.println(node + "'s log, last lines:\n" + node.logTail(40)));
            throw failure;
        } finally {
            for (LogKvNodeProcess node : nodes) {
                node.kill();
            }
        }
    }

    /** A key of {@code default} whose partition {@code node} owns. */
    private static String keyOwnedBy(Map<Integer, String> owners, LogKvNodeProcess node, String prefix) {
        for (int i = 0; ; i++) {
            String key = prefix + "-" + i + "-" + Long.toString(System.nanoTime(), 36);
            if (node.url().equals(owners.get(io.logkv.core.KeyPartitioner.partitionOf(key.getBytes(StandardCharsets.UTF_8), PARTITIONS)))) {
                return key;
            }
        }
    }

    /** One PUT without an Idempotency-Key: a write that fails is not retried by anyone. */
    private static HttpResponse<String> put(HttpClient http, LogKvNodeProcess node, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/namespaces/default/keys/" + key))
                .timeout(Duration.ofSeconds(60)).PUT(HttpRequest.BodyPublishers.ofByteArray(VALUE)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Starts nodes {@code prefix-1} and {@code prefix-2}, each into {@code nodes} first (so that the caller's cleanup kills it). */
    private void startTwoNodes(String prefix, List<String> args, List<LogKvNodeProcess> nodes) throws Exception {
        List<Integer> ports = freePorts(2);
        for (int i = 0; i < 2; i++) {
            LogKvNodeProcess node = node(prefix + "-" + (i + 1), ports.get(i), cluster.bootstrapServers(), args);
            nodes.add(node);
            startAndAwaitReady(node);
        }
    }

    private LogKvNodeProcess node(String nodeId, int port, String bootstrapServers, List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.add(LocalCommand.OPEN);
        return new LogKvNodeProcess(nodeId, port, bootstrapServers, dir.resolve(nodeId), dir.resolve("logs").resolve(nodeId + ".log"),
                LogKvNodeProcess.Console.warningsTo(dir.resolve("logs").resolve(nodeId + "-console.log")), all);
    }

    private static void startAndAwaitReady(LogKvNodeProcess node) throws Exception {
        long started = System.nanoTime();
        node.start();
        assertThat(node.awaitReady(NODE_READY_TIMEOUT)).as(node + " ready").isEmpty();
        log(node + " ready in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms, pid "
                + node.processHandle().orElseThrow().pid());
    }

    /**
     * Waits until the writers' group has given every partition of {@code default} an owner and each node
     * owns some, so that the victim owns partitions whose writes the survivor must forward.
     *
     * @return the owner's URL by partition
     */
    private static Map<Integer, String> awaitEveryPartitionOwnedByBothNodes(LogKvNodeProcess node) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/namespaces/default"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            last = answer.statusCode() + " " + answer.body();
            if (answer.statusCode() == 200) {
                Map<Integer, String> owners = new HashMap<>();
                for (JsonNode partition : JSON.readTree(answer.body()).path("topology")) {
                    JsonNode owner = partition.path("owner");
                    // null while ownership moves
                    if (!owner.isNull() && !owner.isMissingNode()) {
                        owners.put(partition.path("partition").asInt(), owner.asString());
                    }
                }
                if (owners.size() == PARTITIONS && Set.copyOf(owners.values()).size() == 2) {
                    return owners;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the partitions of default did not get owners on both nodes; last answer: " + last);
    }

    /** Writers write distinct keys through the survivor; after {@link #BEFORE_KILL} the victim is killed. */
    private static Outcome writeThroughKill(LogKvNodeProcess survivor, LogKvNodeProcess victim) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong longestNanos = new AtomicLong();
        AtomicLong killedAtNanos = new AtomicLong(Long.MAX_VALUE);
        AtomicLong acknowledgedAfterKill = new AtomicLong();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        List<Future<?>> writing = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writing.add(writers.submit(() -> {
                for (int i = 0; running.get(); i++) {
                    String key = "w" + writer + "-" + i;
                    long start = System.nanoTime();
                    String failure = write(http, survivor, key);
                    long took = System.nanoTime() - start;
                    longestNanos.accumulateAndGet(took, Math::max);
                    if (failure != null) {
                        // The first violation ends the run: what follows it would only bury it.
                        firstFailure.compareAndSet(null, key + " after " + TimeUnit.NANOSECONDS.toMillis(took) + " ms: " + failure);
                        running.set(false);
                        return;
                    }
                    acknowledged.add(key);
                    if (start > killedAtNanos.get()) {
                        acknowledgedAfterKill.incrementAndGet();
                    }
                }
            }));
        }
        Thread.sleep(BEFORE_KILL.toMillis());
        log("SIGKILL " + victim + " (pid " + victim.processHandle().orElseThrow().pid() + ") after " + acknowledged.size() + " writes");
        killedAtNanos.set(System.nanoTime());
        victim.kill();
        long until = System.nanoTime() + AFTER_KILL.toNanos();
        while (running.get() && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        running.set(false);
        for (Future<?> f : writing) {
            f.get(90, TimeUnit.SECONDS);
        }
        writers.shutdown();
        return new Outcome(TimeUnit.NANOSECONDS.toMillis(longestNanos.get()), Set.copyOf(acknowledged),
                acknowledgedAfterKill.get(), firstFailure.get());
    }

    /** One PUT with the key as its Idempotency-Key; null when answered 200, otherwise what went wrong. */
    private static String write(HttpClient http, LogKvNodeProcess node, String key) {
        try {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/namespaces/default/keys/" + key))
                            .timeout(Duration.ofSeconds(60))
                            .header("Idempotency-Key", key)
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(VALUE)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 200 ? null : answer.statusCode() + " " + answer.body();
        } catch (IOException | InterruptedException e) {
            return e.toString();
        }
    }

    /** Ports the operating system reports free right now, held together so that no two are the same. */
    private static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                held.add(new ServerSocket(0));
            }
            return held.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
    }

    /** Progress with timestamps, into the test's output file: where the time goes when this test is slow. */
    private static void log(String line) {
        System.out.println(Instant.now() + " " + line);
    }

    private record Outcome(long longestMs, Set<String> acknowledged, long acknowledgedAfterKill, String firstFailure) {
        @Override
        public String toString() {
            return acknowledged.size() + " acknowledged (" + acknowledgedAfterKill + " after the kill), longest write "
                    + longestMs + " ms" + (firstFailure == null ? "" : ", first failure: " + firstFailure);
        }
    }
}
