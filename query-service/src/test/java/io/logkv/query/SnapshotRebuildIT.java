package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.PartitionOwner;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes share a snapshot directory: each snapshots the partitions it owns on request, and a replica
 * rebuilt with {@code from=snapshot} is seeded from the other node's snapshot, replays only the log after
 * it, and then agrees with its peer (digests at the same position).
 */
@Tag("integration")
class SnapshotRebuildIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final NamespaceName ns = new NamespaceName("snapshotted-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void aReplicaRebuiltFromASnapshotReplaysOnlyTheTailAndAgreesWithItsPeer() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] common = {"--logkv.replicas.copies=2", "--logkv.snapshots.store=directory",
                "--logkv.snapshots.directory=" + dataDir.resolve("snapshots"), "--logkv.snapshots.interval=0s"};
        try (LogKvNode a = LogKvNode.start("snap-a", kafka, dataDir.resolve("a"), common);
             LogKvNode b = LogKvNode.start("snap-b", kafka, dataDir.resolve("b"), common)) {
            assertThat(a.putNamespace(ns.value(), "{\"partitions\":2}").statusCode()).isIn(200, 201);
            // Both nodes hold both partitions (two copies on two nodes) and each owns one.
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> owned(a) + owned(b) == 2
                    && a.bean(LocalReplicas.class).replicas(ns).size() == 2 && b.bean(LocalReplicas.class).replicas(ns).size() == 2);
            for (int i = 0; i < 300; i++) {
                assertThat(a.put(ns.value(), "k-" + i, "before " + i).statusCode()).isEqualTo(200);
            }
            int snapshots = 0;
            for (LogKvNode node : List.of(a, b)) {
                HttpResponse<String> taken = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/admin/namespaces/" + ns + "/snapshots")))
                        .POST(HttpRequest.BodyPublishers.noBody()));
                assertThat(taken.statusCode()).as(taken.body()).isEqualTo(200);
                snapshots += JSON.readTree(taken.body()).path("taken").size();
            }
            assertThat(snapshots).as("one snapshot per partition, by its owner").isEqualTo(2);
            for (int i = 250; i < 400; i++) {
                assertThat(a.put(ns.value(), "k-" + i, "after " + i).statusCode()).isEqualTo(200);
            }
            assertThat(a.delete(ns.value(), "k-7").statusCode()).isIn(200, 204);

            // Rebuild a partition on the node that does not own it (a node does not rebuild what it owns).
            LogKvNode owner = owned(a) > 0 ? a : b;
            LogKvNode rebuilder = owner == a ? b : a;
            int partition = owner.bean(PartitionOwner.class).owned().stream().filter(tp -> tp.topic().equals(ns.truthTopic()))
                    .findFirst().orElseThrow().partition();
            HttpResponse<String> rebuild = rebuilder.send(HttpRequest.newBuilder(URI.create(
                    rebuilder.url("/v1/admin/namespaces/" + ns + "/partitions/" + partition + "/rebuild?from=snapshot")))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(rebuild.statusCode()).as(rebuild.body()).isEqualTo(202);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> rebuilder.bean(LocalReplicas.class).rebuilds().stream()
                    .anyMatch(r -> r.namespace().equals(ns) && r.partition() == partition && r.status().state().equals("done")));
            PartitionReplica rebuilt = rebuilder.bean(LocalReplicas.class).replica(ns, partition);
            assertThat(rebuilt.origin()).startsWith("snapshot");
            assertThat(rebuilt.appliedSinceOpen()).as("only writes after the snapshot replayed").isLessThanOrEqualTo(151).isPositive();

            HttpResponse<String> digests = rebuilder.send(HttpRequest.newBuilder(URI.create(
                    rebuilder.url("/v1/admin/namespaces/" + ns + "/partitions/" + partition + "/digests?wait_ms=10000"))).GET());
            assertThat(digests.statusCode()).as(digests.body()).isEqualTo(200);
            assertThat(JSON.readTree(digests.body()).path("status").asString()).as(digests.body()).isEqualTo("agree");

            JsonNode listed = JSON.readTree(rebuilder.send(HttpRequest.newBuilder(URI.create(rebuilder.url("/v1/admin/namespaces/" + ns + "/snapshots"))).GET()).body());
            assertThat(listed.path("partitions").get(partition).path("snapshots").size()).isEqualTo(1);
            HttpResponse<String> bad = rebuilder.send(HttpRequest.newBuilder(URI.create(
                    rebuilder.url("/v1/admin/namespaces/" + ns + "/partitions/" + partition + "/rebuild?from=elsewhere")))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(bad.statusCode()).isEqualTo(400);
        }
    }

    private int owned(LogKvNode node) {
        return (int) node.bean(PartitionOwner.class).owned().stream().filter(tp -> tp.topic().equals(ns.truthTopic())).count();
    }
}
