package io.logkv.query;

import io.logkv.query.CasRegisterHistory.Outcome;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.PartitionOwner;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No lost updates: 20 clients increment shared counters with compare-and-set while the owning node is
 * stopped and restarted several times. Every counter ends at the number of acknowledged increments, and
 * the history of each counter is linearizable. Every answer is one the API allows under these faults: a
 * read is 200, 404 or 503; a write is 200, 412 or 503 (503 and a lost connection leave its outcome
 * unknown); anything else, a 500 above all, fails the test.
 */
@Tag("integration")
class LostUpdateIT {

    /** Fresh per run: a rerun of this test must not start from the counters an earlier run left. */
    private final String NS = "counters-" + Long.toString(System.nanoTime(), 36);
    private static final List<String> COUNTERS = List.of("c0", "c1", "c2");
    private static final String[] FAST_GROUP = {"--logkv.writer.session-timeout=1s", "--logkv.writer.transaction-timeout=5s"};

    @TempDir
    Path dataDir;

    @Test
    void concurrentIncrementsThroughOwnerRestartsLoseNothing() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        List<LogKvNode> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(LogKvNode.start("lost-update-" + i, kafka, dataDir.resolve("n" + i), FAST_GROUP));
        }
        Map<LogKvNode, Boolean> up = new ConcurrentHashMap<>();
        nodes.forEach(n -> up.put(n, true));
        try {
            assertThat(nodes.get(0).putNamespace(NS, "{\"partitions\":1}").statusCode()).isIn(200, 201);
            Map<String, CasRegisterHistory> histories = new HashMap<>();
            COUNTERS.forEach(c -> histories.put(c, new CasRegisterHistory()));
            Map<String, AtomicInteger> acknowledged = new HashMap<>();
            Map<String, AtomicInteger> unknown = new HashMap<>();
            Queue<String> unexpected = new ConcurrentLinkedQueue<>();
            COUNTERS.forEach(c -> {
                acknowledged.put(c, new AtomicInteger());
                unknown.put(c, new AtomicInteger());
            });

            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService clients = Executors.newFixedThreadPool(20);
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < 20; c++) {
                int client = c;
                work.add(clients.submit(() -> {
                    for (int attempt = 0; running.get(); attempt++) {
                        String counter = COUNTERS.get(ThreadLocalRandom.current().nextInt(COUNTERS.size()));
                        LogKvNode node = nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
                        if (up.get(node)) {
                            increment(node, counter, client + "-" + attempt, histories.get(counter),
                                    acknowledged.get(counter), unknown.get(counter), unexpected);
                        }
                    }
                    return null;
                }));
            }
            TopicPartition partition = new TopicPartition("logkv.truth." + NS, 0);
            for (int restart = 0; restart < 3; restart++) {
                Thread.sleep(4_000);
                LogKvNode owner = nodes.stream().filter(n -> up.get(n) && n.bean(PartitionOwner.class).owned().contains(partition))
                        .findFirst().orElse(nodes.get(restart));
                up.put(owner, false);
                owner.stop();
                Thread.sleep(2_000);
                owner.start();
                up.put(owner, true);
            }
            Thread.sleep(3_000);
            running.set(false);
            for (Future<?> f : work) {
                f.get(120, TimeUnit.SECONDS);
            }
            clients.shutdown();
            assertThat(unexpected).as("answers the API does not allow: only 200, 404 or 503 to a read, 200, 412 or 503 to a write")
                    .isEmpty();

            for (String counter : COUNTERS) {
                HttpResponse<String> last = nodes.get(0).send(HttpRequest.newBuilder(
                        URI.create(nodes.get(0).keyUrl(NS, counter) + "?consistency=strong&wait_ms=10000")).GET());
                assertThat(last.statusCode()).as("final strong read of %s: %s", counter, last.body()).isIn(200, 404);
                int value = last.statusCode() == 404 ? 0 : countOf(last.body());
                int ok = acknowledged.get(counter).get();
                System.out.printf("counter %s: value %d, acknowledged increments %d, unknown outcomes %d, operations %d%n",
                        counter, value, ok, unknown.get(counter).get(), histories.get(counter).ops().size());
                assertThat(value).as(counter).isBetween(ok, ok + unknown.get(counter).get());
                assertThat(histories.get(counter).isLinearizable(null)).as("history of %s is linearizable", counter).isTrue();
            }
            assertThat(acknowledged.values().stream().mapToInt(AtomicInteger::get).sum()).isGreaterThan(30);
        } finally {
            nodes.forEach(LogKvNode::close);
        }
    }

    /**
     * Reads the counter (strong), then writes count + 1 conditioned on what was read; records both. A read
     * answered 503 (not caught up, overloaded) or lost with its connection is retried by the next attempt; a
     * write answered so may or may not have taken effect. Any other answer is recorded in {@code unexpected}.
     */
    private void increment(LogKvNode node, String counter, String writer, CasRegisterHistory history,
                           AtomicInteger acknowledged, AtomicInteger unknown, Queue<String> unexpected) {
        long readStart = System.nanoTime();
        HttpResponse<String> read;
        try {
            read = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(NS, counter) + "?consistency=strong&wait_ms=5000")).GET());
        } catch (RuntimeException e) {
            return; // the node is restarting
        }
        if (read.statusCode() != 200 && read.statusCode() != 404) {
            if (read.statusCode() != 503) {
                unexpected.add("GET " + counter + ": " + read.statusCode() + " " + read.body());
            }
            return;
        }
        String observed = read.statusCode() == 404 ? null : read.body();
        history.read(observed, readStart, System.nanoTime());
        String etag = read.headers().firstValue("ETag").orElse(null);
        String next = (countOf(observed) + 1) + "|" + writer;
        HttpRequest.Builder write = HttpRequest.newBuilder(URI.create(node.keyUrl(NS, counter)))
                .PUT(HttpRequest.BodyPublishers.ofString(next));
        write = observed == null ? write.header("If-None-Match", "*") : write.header("If-Match", etag);
        long writeStart = System.nanoTime();
        Outcome outcome;
        try {
            HttpResponse<String> answer = node.send(write);
            int status = answer.statusCode();
            outcome = status == 200 ? Outcome.OK : status == 412 ? Outcome.FAILED : Outcome.UNKNOWN;
            if (status != 200 && status != 412 && status != 503) {
                unexpected.add("PUT " + counter + " (" + (observed == null ? "If-None-Match: *" : "If-Match: " + etag) + "): "
                        + status + " " + answer.body());
            }
        } catch (RuntimeException e) {
            outcome = Outcome.UNKNOWN;
        }
        history.compareAndSet(observed, next, outcome, writeStart, System.nanoTime());
        if (outcome == Outcome.OK) {
            acknowledged.incrementAndGet();
        } else if (outcome == Outcome.UNKNOWN) {
            unknown.incrementAndGet();
        }
    }

    private static int countOf(String value) {
        return value == null ? 0 : Integer.parseInt(value.substring(0, value.indexOf('|')));
    }
}
