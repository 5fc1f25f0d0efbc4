package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.MirrorHeaders;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.RegionName;
import io.logkv.materializer.LocalReplicas;
import io.logkv.mirror.CopyRelease;
import io.logkv.mirror.Mirror;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.mirror.Promotion;
import io.logkv.mirror.PromotionRefusedException;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Promotion of the region holding a copy to home (docs/adr/0020-promotion-of-another-region.md), with a node in
 * each region and a mirror each way. Under concurrent writes to the old home, a planned promotion fences the old
 * home's writers and waits for the mirror, so that: every write the old home acknowledged is in the new home's
 * log; no write of the old home follows one of the new home in any partition of either region's log (no key
 * has values accepted by two homes); the new home takes writes and the old home refuses them; the mirror back
 * carries the new home's writes into the old home, whose session reads honour the new home's tokens. A forced
 * promotion with the mirror cut loses exactly the writes the copy lacked, and finishing it later refuses to
 * splice the old home's uncarried records into the new home's history.
 */
@Tag("integration")
class PromotionIT {

    private static final RegionName A = new RegionName("a");
    private static final RegionName B = new RegionName("b");
    /** The home lease of the tests that wait it out: short, and longer than the nodes' view of the registry may be old. */
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final String LEASE_VIEW_STALENESS = "--logkv.region.lease-view-staleness=2s";

    @TempDir
    Path dataDir;

    @Test
    void aPlannedPromotionUnderWritesLosesNothingAndNoWriteIsAcceptedByTwoHomes() throws Exception {
        String ns = "promoted-" + Long.toString(System.nanoTime(), 36);
        KafkaTestCluster clusterA = KafkaTestCluster.sharedRegion("a");
        KafkaTestCluster clusterB = KafkaTestCluster.sharedRegion("b");
        try (LogKvNode a = nodeOfA("promote-a-1", clusterA);
             LogKvNode b = nodeOfB("promote-b-1", clusterB, a);
             Mirror forth = mirror(A, B, clusterA, clusterB, ns);
             Mirror back = mirror(B, A, clusterB, clusterA, ns)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":3}").statusCode()).isEqualTo(201);
            forth.start();
            back.start();
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(describe(b, ns).path("homeRegion").asString("")).isEqualTo("a"));

            // Writers to the old home, running through the promotion; each value is written once.
            Map<String, String> acknowledgedInA = new ConcurrentHashMap<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.submit(() -> {
                    for (int i = 0; writing.get(); i++) {
                        String value = "a-" + writer + "-" + i;
                        HttpResponse<String> put = a.put(ns, "k" + (i % 25), value);
                        if (put.statusCode() == 200) {
                            acknowledgedInA.put(value, "k" + (i % 25));
                        }
                    }
                    return null;
                });
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledgedInA.size() >= 200);

            ByteArrayOutputStream told = new ByteArrayOutputStream();
            Promotion.Outcome outcome = new Promotion(MirrorSettings.of(A, B, clusterA.bootstrapServers(), clusterB.bootstrapServers(),
                    NamespaceSelection.of(List.of(ns))), new NamespaceName(ns), "logkv-writers", Duration.ofSeconds(60),
                    new PrintStream(told, true, StandardCharsets.UTF_8)).promote(false);
            assertThat(outcome.planned()).isTrue();
            assertThat(told.toString(StandardCharsets.UTF_8)).contains("5/5 region b is the home of " + ns);

            // The old home refuses (its nodes saw the registry), the new home takes writes.
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> refused = a.put(ns, "after", "refused");
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(421);
                assertThat(refused.headers().firstValue("KV-Home-Region")).contains("b");
            });
            writing.set(false);
            writers.shutdown();
            assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            List<String> writtenInB = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> put = b.put(ns, "k1", "b-first");
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            });
            writtenInB.add("b-first");
            String lastToken = null;
            for (int i = 0; i < 30; i++) {
                HttpResponse<String> put = b.put(ns, "k" + (i % 25), "b-" + i);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                writtenInB.add("b-" + i);
                lastToken = put.headers().firstValue("KV-Token").orElseThrow();
            }

            // Every write the old home acknowledged is in the new home's log; in each partition of it, nothing of
            // the old home comes after a write of the new home.
            List<ConsumerRecord<byte[], byte[]>> logB = KafkaTestCluster.readTopic(clusterB.bootstrapServers(),
                    new NamespaceName(ns).truthTopic(), Duration.ofSeconds(30)).records();
            Set<String> valuesInB = values(logB);
            assertThat(acknowledgedInA.keySet()).as("acknowledged in a, missing in b").isSubsetOf(valuesInB);
            assertThat(valuesInB).containsAll(writtenInB);
            assertNoOldHomeRecordAfterNewHomeRecord(logB, "a", true);

            // The mirror back carries the new home's writes into the old home, in order after the old home's own.
            String tokenOfB = lastToken;
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> read = a.send(HttpRequest.newBuilder(URI.create(a.keyUrl(ns, "k4") + "?wait_ms=5000"))
                        .header("KV-Token", tokenOfB));
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.body()).isEqualTo("b-29");
            });
            List<ConsumerRecord<byte[], byte[]>> logA = KafkaTestCluster.readTopic(clusterA.bootstrapServers(),
                    new NamespaceName(ns).truthTopic(), Duration.ofSeconds(30)).records();
            assertThat(values(logA)).as("the old home's log holds the new home's writes once").containsAll(writtenInB);
            assertThat(logA.stream().filter(r -> r.value() != null).map(r -> RecordEnvelope.decode(r.value()))
                    .map(e -> new String(e.value(), StandardCharsets.UTF_8)).filter(v -> v.startsWith("b-")).count())
                    .isEqualTo(writtenInB.size());
            assertNoOldHomeRecordAfterNewHomeRecord(logA, "b", false);

            // Both regions serve the same values now.
            for (int i = 0; i < 25; i++) {
                String key = "k" + i;
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(a.get(ns, key).body()).isEqualTo(b.get(ns, key).body()));
            }
        }
    }

    /**
     * A session begun in the old home reads in the new home no older than its writes there: the new home's replica,
     * held behind the old home's last write, makes a read under that write's token wait (503 within its wait) instead
     * of answering the older value, and answers the write once it has applied it.
     */
    @Test
    void aSessionReadInTheNewHomeUnderATokenOfTheOldHomeIsNeverOlderThanItsWrites() throws Exception {
        String ns = "session-" + Long.toString(System.nanoTime(), 36);
        KafkaTestCluster clusterA = KafkaTestCluster.sharedRegion("a");
        KafkaTestCluster clusterB = KafkaTestCluster.sharedRegion("b");
        try (LogKvNode a = nodeOfA("session-a-1", clusterA);
             LogKvNode b = nodeOfB("session-b-1", clusterB, a);
             Mirror forth = mirror(A, B, clusterA, clusterB, ns);
             Mirror back = mirror(B, A, clusterB, clusterA, ns)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":1}").statusCode()).isEqualTo(201);
            forth.start();
            back.start();
            HttpResponse<String> first = a.put(ns, "k", "first");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            String firstToken = first.headers().firstValue("KV-Token").orElseThrow();
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> read = readUnder(b, ns, "k", firstToken, 5_000);
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.body()).isEqualTo("first");
            });

            b.bean(LocalReplicas.class).pause(new NamespaceName(ns), 0).get(10, TimeUnit.SECONDS);
            HttpResponse<String> second = a.put(ns, "k", "second");
            assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
            String secondToken = second.headers().firstValue("KV-Token").orElseThrow();
            Promotion.Outcome outcome = new Promotion(MirrorSettings.of(A, B, clusterA.bootstrapServers(), clusterB.bootstrapServers(),
                    NamespaceSelection.of(List.of(ns))), new NamespaceName(ns), "logkv-writers", Duration.ofSeconds(60),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).promote(false);
            assertThat(outcome.planned()).isTrue();
            // The node of b serves the namespace as its home once it names no other home region.
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(describe(b, ns).path("homeRegion").asString("")).isEmpty());

            HttpResponse<String> held = readUnder(b, ns, "k", secondToken, 500);
            assertThat(held.statusCode()).as("a session read the held replica cannot answer: " + held.body()).isEqualTo(503);
            assertThat(held.body()).contains("not-caught-up");

            b.bean(LocalReplicas.class).resume(new NamespaceName(ns), 0).get(10, TimeUnit.SECONDS);
            HttpResponse<String> read = readUnder(b, ns, "k", secondToken, 10_000);
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body()).isEqualTo("second");
        }
    }

    private static HttpResponse<String> readUnder(LogKvNode node, String ns, String key, String token, long waitMs) {
        return node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns, key) + "?wait_ms=" + waitMs)).header("KV-Token", token));
    }

    /**
     * An owner of the old home frozen between sending a write and committing it (a zombie) while the promotion
     * runs: the promotion's fence aborts its transaction, so when it wakes its commit fails, its client hears
     * 503, and its record is in neither region's log. Without the fence the zombie's commit would succeed after
     * the new home took over.
     */
    @Test
    void aZombieOwnerOfTheOldHomeCannotCommitAfterThePromotion() throws Exception {
        String ns = "zombie-home-" + Long.toString(System.nanoTime(), 36);
        KafkaTestCluster clusterA = KafkaTestCluster.sharedRegion("a");
        KafkaTestCluster clusterB = KafkaTestCluster.sharedRegion("b");
        // The broker would abort the zombie's transaction after logkv.writer.transaction-timeout, which fences it as
        // well: made long here, so that only the promotion's own fence can end it within the drain's 30 s.
        try (LogKvNode a = nodeOfA("zombie-a-1", clusterA, "--logkv.writer.transaction-timeout=300s");
             LogKvNode b = nodeOfB("zombie-b-1", clusterB, a);
             Mirror forth = mirror(A, B, clusterA, clusterB, ns);
             Mirror back = mirror(B, A, clusterB, clusterA, ns)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":1}").statusCode()).isEqualTo(201);
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(a.put(ns, "k", "before").statusCode()).isEqualTo(200));
            forth.start();
            back.start();
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(b.get(ns, "k").body()).isEqualTo("before"));

            a.bean(io.logkv.writer.PartitionOwner.class).stallBeforeCommit();
            java.util.concurrent.CompletableFuture<HttpResponse<String>> zombieWrite = java.net.http.HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(URI.create(a.keyUrl(ns, "k"))).timeout(Duration.ofSeconds(120))
                            .PUT(HttpRequest.BodyPublishers.ofString("zombie")).build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(1_000); // sent, and held before its commit
            try {
                Promotion.Outcome outcome = new Promotion(MirrorSettings.of(A, B, clusterA.bootstrapServers(), clusterB.bootstrapServers(),
                        NamespaceSelection.of(List.of(ns))), new NamespaceName(ns), "logkv-writers", Duration.ofSeconds(30),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).promote(false);
                assertThat(outcome.planned()).isTrue();
            } finally {
                a.bean(io.logkv.writer.PartitionOwner.class).resume();
            }
            HttpResponse<String> zombieAnswer = zombieWrite.get(120, TimeUnit.SECONDS);
            assertThat(zombieAnswer.statusCode()).as(zombieAnswer.body()).isNotEqualTo(200);

            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(b.put(ns, "k", "after").statusCode()).isEqualTo(200));
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(a.get(ns, "k").body()).isEqualTo("after"));
            for (KafkaTestCluster cluster : List.of(clusterA, clusterB)) {
                assertThat(values(KafkaTestCluster.readTopic(cluster.bootstrapServers(), new NamespaceName(ns).truthTopic(),
                        Duration.ofSeconds(30)).records())).as("the zombie's write in either region's log").doesNotContain("zombie")
                        .contains("before", "after");
            }
        }
    }

    /**
     * A forced promotion with the mirror cut: the old home stops acknowledging writes by itself once the lease the
     * mirror granted runs out; the promotion waits the lease out; the new home loses exactly the writes the copy
     * lacked; finishing the promotion later refuses to splice the old home's uncarried records into the new home's
     * history.
     */
    @Test
    void aForcedPromotionLosesWhatTheCopyLackedAndFinishingItRefusesToSpliceTheOldHomesRecords() throws Exception {
        String ns = "forced-" + Long.toString(System.nanoTime(), 36);
        KafkaTestCluster clusterA = KafkaTestCluster.sharedRegion("a");
        KafkaTestCluster clusterB = KafkaTestCluster.sharedRegion("b");
        try (LogKvNode a = nodeOfA("forced-a-1", clusterA, LEASE_VIEW_STALENESS);
             LogKvNode b = nodeOfB("forced-b-1", clusterB, a)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":3}").statusCode()).isEqualTo(201);
            for (int i = 0; i < 20; i++) {
                assertThat(a.put(ns, "k" + i, "carried-" + i).statusCode()).isEqualTo(200);
            }
            try (Mirror forth = leasingMirror(A, B, clusterA, clusterB, ns)) {
                forth.start();
                Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(b.get(ns, "k19").body()).isEqualTo("carried-19"));
            }
            // The mirror is cut: these writes never reach b.
            for (int i = 0; i < 7; i++) {
                HttpResponse<String> put = a.put(ns, "k" + i, "lost-" + i);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            }
            // Nothing renews the lease now: the old home stops acknowledging writes by itself.
            int acknowledgedAfter = 0;
            long cutNanos = System.nanoTime();
            while (true) {
                HttpResponse<String> put = a.put(ns, "late-" + acknowledgedAfter, "late");
                if (put.statusCode() != 200) {
                    assertThat(put.statusCode()).as(put.body()).isEqualTo(503);
                    assertThat(put.body()).contains("lease");
                    break;
                }
                acknowledgedAfter++;
                assertThat(System.nanoTime() - cutNanos).as("the old home still takes writes long after its lease")
                        .isLessThan(TimeUnit.MILLISECONDS.toNanos(LEASE.toMillis() + 10_000));
            }
            MirrorSettings settings = leasing(MirrorSettings.of(A, B, clusterA.bootstrapServers(), clusterB.bootstrapServers(),
                    NamespaceSelection.of(List.of(ns))));
            ByteArrayOutputStream told = new ByteArrayOutputStream();
            Promotion.Outcome forced = new Promotion(settings, new NamespaceName(ns), "logkv-writers", Duration.ofSeconds(30),
                    new PrintStream(told, true, StandardCharsets.UTF_8)).promote(true);
            assertThat(forced.planned()).isFalse();
            assertThat(forced.lagMs()).as("the copy's age at promotion, the data at risk in time").isGreaterThanOrEqualTo(1_000);
            assertThat(forced.tookMs()).as("the promotion waits a whole lease after revoking it").isGreaterThanOrEqualTo(LEASE.toMillis());
            assertThat(told.toString(StandardCharsets.UTF_8)).contains("home lease of " + ns + " has run out");

            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(b.put(ns, "k0", "b-after-force").statusCode()).isEqualTo(200));
            assertThat(b.get(ns, "k1").body()).as("the uncarried write is lost in the new home").isEqualTo("carried-1");
            HttpResponse<String> stillRefused = a.put(ns, "k9", "refused");
            assertThat(stillRefused.statusCode()).as(stillRefused.body()).isEqualTo(503);

            // Finishing the promotion with the old home reachable fences it, and refuses to mirror back onto a log that
            // holds the writes the new home never received: the 7, those acknowledged until the lease ran out, and at most
            // the one whose commit outlived the lease (answered 503).
            Throwable refused = Assertions.catchThrowable(() -> new Promotion(settings, new NamespaceName(ns), "logkv-writers",
                    Duration.ofSeconds(30), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).promote(false));
            assertThat(refused).isInstanceOf(PromotionRefusedException.class).hasMessageContaining("that region b never received");
            Matcher count = Pattern.compile("holds (\\d+) records of " + ns).matcher(refused.getMessage());
            assertThat(count.find()).as(refused.getMessage()).isTrue();
            assertThat(Long.parseLong(count.group(1))).isBetween(7L + acknowledgedAfter, 8L + acknowledgedAfter);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(a.put(ns, "k9", "refused").statusCode()).isEqualTo(421));
        }
    }

    /**
     * The split brain a forced promotion risks: the old home is not lost at all (only the operator cannot reach it),
     * its node and the mirror keep running, and four clients keep writing to it. The promotion fences the mirror and
     * revokes the lease; the old home's node acknowledges no write after the lease has run out, and the new home takes
     * writes only after that: no write is accepted by both homes, and in the new home's log no record of the old home
     * follows one of the new home. Without the lease the old home would go on acknowledging writes for ever.
     */
    @Test
    void aForcedPromotionWhileTheOldHomeStillRunsWaitsUntilItHasStoppedTakingWrites() throws Exception {
        String ns = "split-" + Long.toString(System.nanoTime(), 36);
        KafkaTestCluster clusterA = KafkaTestCluster.sharedRegion("a");
        KafkaTestCluster clusterB = KafkaTestCluster.sharedRegion("b");
        try (LogKvNode a = nodeOfA("split-a-1", clusterA, LEASE_VIEW_STALENESS);
             LogKvNode b = nodeOfB("split-b-1", clusterB, a);
             Mirror forth = leasingMirror(A, B, clusterA, clusterB, ns)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":3}").statusCode()).isEqualTo(201);
            forth.start();
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(describe(b, ns).path("homeRegion").asString("")).isEqualTo("a"));

            // When each acknowledgement of the old home arrived, and how its refusals read.
            List<Long> acknowledgedAt = java.util.Collections.synchronizedList(new ArrayList<>());
            Map<Integer, String> refusals = new ConcurrentHashMap<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.submit(() -> {
                    for (int i = 0; writing.get(); i++) {
                        HttpResponse<String> put = a.put(ns, "k" + (i % 25), "a-" + writer + "-" + i);
                        if (put.statusCode() == 200) {
                            acknowledgedAt.add(System.nanoTime());
                        } else {
                            refusals.put(put.statusCode(), put.body());
                        }
                    }
                    return null;
                });
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledgedAt.size() >= 100);

            AtomicLong leaseRanOutAt = new AtomicLong();
            OutputStream told = new OutputStream() {
                private final StringBuilder text = new StringBuilder();

                @Override
                public synchronized void write(int c) {
                    text.append((char) c);
                    if (leaseRanOutAt.get() == 0 && text.indexOf("has run out") >= 0) {
                        leaseRanOutAt.set(System.nanoTime());
                    }
                }
            };
            Promotion.Outcome forced = new Promotion(leasing(MirrorSettings.of(A, B, clusterA.bootstrapServers(),
                    clusterB.bootstrapServers(), NamespaceSelection.of(List.of(ns)))), new NamespaceName(ns), "logkv-writers",
                    Duration.ofSeconds(30), new PrintStream(told, true, StandardCharsets.UTF_8)).promote(true);
            assertThat(forced.planned()).isFalse();
            assertThat(leaseRanOutAt.get()).as("the promotion said when the lease ran out").isNotZero();

            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> put = b.put(ns, "k1", "b-first");
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            });
            Thread.sleep(2_000); // the old home's writers go on meanwhile
            writing.set(false);
            writers.shutdown();
            assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

            long lastAcknowledged = acknowledgedAt.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertThat(lastAcknowledged).as("the old home acknowledged a write after its lease ran out, when the new home"
                    + " could take writes").isLessThan(leaseRanOutAt.get());
            assertThat(refusals).as("the old home refuses once its lease has run out").containsKey(503);
            assertThat(refusals.get(503)).contains("lease");
            // Fenced by the revocation; a later instance refuses (the lease is revoked) or is not started (b is home).
            assertThat(forth.states().getOrDefault(new NamespaceName(ns).truthTopic(), "NONE")).as("the mirror after the revocation")
                    .isIn("FENCED", "REFUSED", "NONE");

            List<ConsumerRecord<byte[], byte[]>> logB = KafkaTestCluster.readTopic(clusterB.bootstrapServers(),
                    new NamespaceName(ns).truthTopic(), Duration.ofSeconds(30)).records();
            assertThat(values(logB)).contains("b-first");
            assertNoOldHomeRecordAfterNewHomeRecord(logB, "a", true);
        }
    }

    /**
     * A copy given up: with its mirror stopped, the home stops taking writes once the lease runs out; releasing the
     * copy (bin/logkv release-copy) makes the copy's region drop the namespace and the home write again without the
     * lease, and neither a promotion nor a mirror started again can use the copy afterwards.
     */
    @Test
    void releasingACopyLetsTheHomeWriteWithoutItsLeaseAndTheCopyCannotBePromoted() throws Exception {
        String ns = "released-" + Long.toString(System.nanoTime(), 36);
        KafkaTestCluster clusterA = KafkaTestCluster.sharedRegion("a");
        KafkaTestCluster clusterB = KafkaTestCluster.sharedRegion("b");
        try (LogKvNode a = nodeOfA("release-a-1", clusterA, LEASE_VIEW_STALENESS);
             LogKvNode b = nodeOfB("release-b-1", clusterB, a)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":2}").statusCode()).isEqualTo(201);
            try (Mirror forth = leasingMirror(A, B, clusterA, clusterB, ns)) {
                forth.start();
                Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(describe(b, ns).path("homeRegion").asString("")).isEqualTo("a"));
                assertThat(a.put(ns, "k", "leased").statusCode()).isEqualTo(200);
            }
            // The mirror stopped: the lease runs out and the home refuses.
            Awaitility.await().atMost(LEASE.plusSeconds(20)).untilAsserted(() -> {
                HttpResponse<String> put = a.put(ns, "k", "unleased");
                assertThat(put.statusCode()).as(put.body()).isEqualTo(503);
            });

            MirrorSettings settings = leasing(MirrorSettings.of(A, B, clusterA.bootstrapServers(), clusterB.bootstrapServers(),
                    NamespaceSelection.of(List.of(ns))));
            ByteArrayOutputStream told = new ByteArrayOutputStream();
            new CopyRelease(settings, new NamespaceName(ns), new PrintStream(told, true, StandardCharsets.UTF_8)).release();
            assertThat(told.toString(StandardCharsets.UTF_8)).contains("3/3");

            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> put = a.put(ns, "k", "released");
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            });
            Thread.sleep(LEASE.toMillis() + 1_000);
            assertThat(a.put(ns, "k", "still").statusCode()).as("long after the lease would have run out").isEqualTo(200);
            assertThat(Promotion.homeIn(io.logkv.core.KafkaConnection.of(clusterB.bootstrapServers()), B, new NamespaceName(ns), Duration.ofSeconds(30)))
                    .as("region b's registry").isEmpty();
            Assertions.assertThatThrownBy(() -> new Promotion(settings, new NamespaceName(ns), "logkv-writers", Duration.ofSeconds(30),
                            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).promote(true))
                    .isInstanceOf(PromotionRefusedException.class).hasMessageContaining("holds no namespace");
            try (Mirror again = leasingMirror(A, B, clusterA, clusterB, ns)) {
                again.start();
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(again.states().get(new NamespaceName(ns).truthTopic())).isEqualTo("REFUSED"));
            }
            assertThat(a.put(ns, "k", "after the mirror's refusal").statusCode()).isEqualTo(200);
        }
    }

    /**
     * In every partition of a region's log, no record of {@code oldHome}'s writers comes after a record of the
     * new home's. {@code oldHomeRecordsAreCopies}: in the new home's log the old home's records carry the
     * mirror's headers and the new home's do not; in the old home's log, the other way round.
     */
    private static void assertNoOldHomeRecordAfterNewHomeRecord(List<ConsumerRecord<byte[], byte[]>> log, String copiedFrom,
                                                                boolean oldHomeRecordsAreCopies) {
        Map<Integer, Boolean> newHomeSeen = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : log) {
            boolean copied = copiedFrom.equals(MirrorHeaders.sourceRegionOf(record.headers()));
            boolean ofOldHome = oldHomeRecordsAreCopies == copied;
            if (!ofOldHome) {
                newHomeSeen.put(record.partition(), true);
            } else {
                assertThat(newHomeSeen.getOrDefault(record.partition(), false))
                        .as("a record of the old home after one of the new home, partition " + record.partition() + " offset "
                                + record.offset()).isFalse();
            }
        }
    }

    private static Set<String> values(List<ConsumerRecord<byte[], byte[]>> log) {
        return log.stream().filter(record -> record.value() != null)
                .map(record -> new String(RecordEnvelope.decode(record.value()).value(), StandardCharsets.UTF_8))
                .collect(Collectors.toSet());
    }

    private LogKvNode nodeOfA(String id, KafkaTestCluster cluster, String... more) {
        List<String> args = new ArrayList<>(List.of("--logkv.region.name=a", "--logkv.replicas.copies=1"));
        args.addAll(List.of(more));
        return LogKvNode.start(id, cluster.bootstrapServers(), dataDir.resolve("a"), args.toArray(String[]::new));
    }

    /** A node of region b, which knows where region a's writes go. */
    private LogKvNode nodeOfB(String id, KafkaTestCluster cluster, LogKvNode ofA) {
        return LogKvNode.start(id, cluster.bootstrapServers(), dataDir.resolve("b"), "--logkv.region.name=b",
                "--logkv.region.urls.a=" + ofA.url(""), "--logkv.replicas.copies=1");
    }

    /** A mirror whose home lease lasts {@link #LEASE}. */
    private static Mirror leasingMirror(RegionName from, RegionName to, KafkaTestCluster source, KafkaTestCluster target, String ns) {
        return new Mirror(leasing(MirrorSettings.of(from, to, source.bootstrapServers(), target.bootstrapServers(),
                NamespaceSelection.of(List.of(ns))).withRescan(Duration.ofSeconds(1))), new SimpleMeterRegistry());
    }

    private static MirrorSettings leasing(MirrorSettings settings) {
        return settings.withHomeLease(LEASE, Duration.ofMillis(200));
    }

    private static Mirror mirror(RegionName from, RegionName to, KafkaTestCluster source, KafkaTestCluster target, String ns) {
        return new Mirror(MirrorSettings.of(from, to, source.bootstrapServers(), target.bootstrapServers(),
                NamespaceSelection.of(List.of(ns))).withRescan(Duration.ofSeconds(1)), new SimpleMeterRegistry());
    }

    private static tools.jackson.databind.JsonNode describe(LogKvNode node, String ns) {
        HttpResponse<String> described = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns))));
        assertThat(described.statusCode()).as(described.body()).isEqualTo(200);
        return tools.jackson.databind.json.JsonMapper.builder().build().readTree(described.body());
    }
}
