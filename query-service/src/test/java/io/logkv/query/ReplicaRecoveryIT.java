package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.ReplicaDigest;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.testkit.TestFiles;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** A replica resumes from its recorded position after a restart, and a wiped one replays to identical contents. */
@Tag("integration")
class ReplicaRecoveryIT {

    private static final NamespaceName NS = new NamespaceName("recovery");

    @TempDir
    Path dataDir;

    @Test
    void restartResumesFromRecordedPositionsWithoutReplaying() {
        Map<String, String> written = new HashMap<>();
        Map<Integer, Long> positionsAtStop = new HashMap<>();
        try (LogKvNode node = startNode()) {
            write(node, written, 300);
            List<PartitionReplica> replicas = awaitCaughtUp(node);
            replicas.forEach(r -> positionsAtStop.put(r.partition(), r.appliedPosition()));
            node.stop();

            node.start();
            for (PartitionReplica replica : awaitCaughtUp(node)) {
                assertThat(replica.resumedFrom()).as("partition %d", replica.partition())
                        .isEqualTo(positionsAtStop.get(replica.partition()));
                assertThat(replica.appliedSinceOpen()).as("records replayed after restart").isZero();
            }
            written.forEach((key, value) -> assertThat(node.get(NS.value(), key).body()).isEqualTo(value));
        }
    }

    @Test
    void wipedStoreReplaysToIdenticalContents() throws IOException {
        Map<String, String> written = new HashMap<>();
        Map<Integer, ReplicaDigest> before = new HashMap<>();
        try (LogKvNode node = startNode()) {
            write(node, written, 400);
            for (int i = 0; i < 50; i++) {
                assertThat(node.delete(NS.value(), "key-" + i).statusCode()).isEqualTo(204);
                written.remove("key-" + i);
            }
            for (PartitionReplica replica : awaitCaughtUp(node)) {
                before.put(replica.partition(), replica.digest());
            }
            node.stop();
            TestFiles.deleteTree(node.dataDir().resolve("replicas"));

            node.start();
            List<PartitionReplica> rebuilt = awaitCaughtUp(node);
            long replayed = rebuilt.stream().mapToLong(PartitionReplica::appliedSinceOpen).sum();
            assertThat(replayed).as("records replayed into the wiped store").isGreaterThanOrEqualTo(400);
            for (PartitionReplica replica : rebuilt) {
                assertThat(replica.resumedFrom()).isZero();
                assertThat(replica.digest()).isEqualTo(before.get(replica.partition()));
            }
            written.forEach((key, value) -> assertThat(node.get(NS.value(), key).body()).isEqualTo(value));
            assertThat(node.get(NS.value(), "key-0").statusCode()).isEqualTo(404);
        }
    }

    private LogKvNode startNode() {
        LogKvNode node = LogKvNode.start("recovery-" + System.nanoTime(), KafkaTestCluster.shared().bootstrapServers(), dataDir);
        assertThat(node.putNamespace(NS.value(), "{\"partitions\":3}").statusCode()).isIn(200, 201);
        return node;
    }

    private static void write(LogKvNode node, Map<String, String> written, int count) {
        for (int i = 0; i < count; i++) {
            String key = "key-" + (i % 250);
            String value = "v" + i + "-" + System.nanoTime();
            HttpResponse<String> put = node.put(NS.value(), key, value);
            assertThat(put.statusCode()).isEqualTo(200);
            written.put(key, value);
        }
    }

    /** Waits until every replica of the namespace has applied the committed end of its partition. */
    private static List<PartitionReplica> awaitCaughtUp(LogKvNode node) {
        LocalReplicas replicas = node.bean(LocalReplicas.class);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<PartitionReplica> list = replicas.replicas(NS);
            return list.size() == 3 && list.stream().allMatch(r -> r.lagRecords() == 0);
        });
        return replicas.replicas(NS);
    }
}
