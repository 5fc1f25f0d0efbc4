package io.logkv.query;

import io.logkv.core.KeyPartitioner;
import io.logkv.core.NamespaceName;
import io.logkv.materializer.LocalReplicas;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.testkit.faults.TcpProxy;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica that hangs (accepts connections, never answers) costs a forwarded read the hedge delay, not
 * its wait plus the forward timeout: the read is raced against the partition's other replica.
 */
@Tag("integration")
class HedgedReadIT {

    private static final Duration HEDGE_AFTER = Duration.ofMillis(200);
    private final NamespaceName ns = new NamespaceName("hedged-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void aHungReplicaCostsAReadTheHedgeDelay() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        int hungPort = freePort();
        // A node lets go of a replica that left its placement after release-delay: keep it short, so that node
        // a really forwards the partition's reads.
        String[] common = {"--logkv.replicas.copies=2", "--logkv.replicas.hedge-after=" + HEDGE_AFTER.toMillis() + "ms",
                "--logkv.replicas.release-delay=1s"};
        try (TcpProxy front = TcpProxy.start("hung-node", new InetSocketAddress("localhost", hungPort));
             LogKvNode a = LogKvNode.start("hedged-a", kafka, dataDir.resolve("a"), common);
             LogKvNode b = LogKvNode.start("hedged-b", kafka, dataDir.resolve("b"), common);
             LogKvNode c = LogKvNode.start("hedged-c", kafka, dataDir.resolve("c"), concat(common,
                     "--server.port=" + hungPort, "--logkv.advertised-url=http://localhost:" + front.port()))) {
            assertThat(a.putNamespace(ns.value(), "{\"partitions\":6}").statusCode()).isIn(200, 201);
            String hungUrl = "http://localhost:" + front.port();
            List<LogKvNode> nodes = List.of(a, b, c);
            // A partition the hung node holds, as all three nodes place it; with two copies on three nodes, one
            // of a and b holds the other copy, and the third node reads it through a forward.
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> partitionHeldBy(nodes, hungUrl) >= 0);
            int partition = partitionHeldBy(nodes, hungUrl);
            List<String> holders = a.bean(ClusterReplicas.class).placement().replicasOf(ns, partition);
            LogKvNode reader = holders.contains(a.url("")) ? b : a;
            String readerId = reader == a ? "hedged-a" : "hedged-b";
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> reader.bean(LocalReplicas.class).replica(ns, partition) == null);
            List<String> keys = new ArrayList<>();
            for (int i = 0; keys.size() < 20; i++) {
                String key = "k-" + i;
                if (KeyPartitioner.partitionOf(key.getBytes(StandardCharsets.UTF_8), 6) == partition) {
                    keys.add(key);
                }
            }
            String token = null;
            for (String key : keys) {
                HttpResponse<String> put = reader.put(ns.value(), key, "v-" + key);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                token = put.headers().firstValue("KV-Token").orElseThrow();
            }
            // Both replicas serve and have every key before the hang, so either may answer an eventual read.
            for (LogKvNode holder : nodes) {
                if (holders.contains(holder.bean(ClusterReplicas.class).self())) {
                    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                        var replica = holder.bean(LocalReplicas.class).replica(ns, partition);
                        return replica != null && replica.serving();
                    });
                    assertThat(holder.get(ns.value(), keys.get(keys.size() - 1), "KV-Token", token).statusCode()).isEqualTo(200);
                }
            }
            assertThat(reader.bean(ClusterReplicas.class).placement().replicasOf(ns, partition))
                    .as("the reader's placement of the partition").containsExactlyInAnyOrderElementsOf(holders);

            front.blackhole();
            long slowest = 0;
            for (String key : keys) {
                long start = System.nanoTime();
                HttpResponse<String> read = reader.get(ns.value(), key);
                long ms = (System.nanoTime() - start) / 1_000_000;
                slowest = Math.max(slowest, ms);
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.body()).isEqualTo("v-" + key);
                assertThat(read.headers().firstValue("KV-Served-By")).as("served by another node").isNotEqualTo(java.util.Optional.of(readerId));
            }
            double hedged = reader.bean(MeterRegistry.class).counter("logkv.reads.hedged").count();
            System.out.printf("reads with one replica hung: %d, slowest %d ms, hedged %.0f (hedge after %d ms)%n",
                    keys.size(), slowest, hedged, HEDGE_AFTER.toMillis());
            assertThat(hedged).as("reads raced against the other replica").isGreaterThan(0);
            // Without hedging, a read sent to the hung replica first takes its wait plus the forward timeout (3 s).
            assertThat(slowest).isLessThan(1_500);
            front.heal();
        }
    }

    /** A partition that every node places on two replicas, the same two, one of them {@code hungUrl}; -1 while there is none. */
    private int partitionHeldBy(List<LogKvNode> nodes, String hungUrl) {
        for (int p = 0; p < 6; p++) {
            List<String> replicas = nodes.get(0).bean(ClusterReplicas.class).placement().replicasOf(ns, p);
            boolean agreed = replicas.size() == 2 && replicas.contains(hungUrl);
            for (LogKvNode node : nodes) {
                agreed &= new java.util.HashSet<>(node.bean(ClusterReplicas.class).placement().replicasOf(ns, p))
                        .equals(new java.util.HashSet<>(replicas));
            }
            if (agreed) {
                return p;
            }
        }
        return -1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }
}
