package io.logkv.query.cluster;

import io.logkv.core.NamespaceName;
import io.logkv.writer.OwnerDirectory.GroupView;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicaPlacementTest {

    private static final NamespaceName NS = new NamespaceName("orders");

    @Test
    void theOwnerIsTheFirstReplicaAndTheReplicasAreDistinctNodes() {
        List<String> members = nodes(5);
        ReplicaPlacement placement = ReplicaPlacement.of(view(members, 12), members.get(0), Map.of(NS, 12), 3);
        for (int p = 0; p < 12; p++) {
            List<String> replicas = placement.replicasOf(NS, p);
            assertThat(replicas).hasSize(3).doesNotHaveDuplicates();
            assertThat(replicas.get(0)).isEqualTo(members.get(p % 5));
        }
    }

    @Test
    void everyNodeHoldsItsShareOfANamespace() {
        for (int nodes = 2; nodes <= 7; nodes++) {
            for (int partitions : new int[] {1, 6, 12, 64}) {
                List<String> members = nodes(nodes);
                ReplicaPlacement placement = ReplicaPlacement.of(view(members, partitions), members.get(0), Map.of(NS, partitions), 2);
                int share = (partitions * 2 + nodes - 1) / nodes;
                for (String member : members) {
                    assertThat(placement.partitionsOf(member).size()).as("%d nodes, %d partitions", nodes, partitions).isLessThanOrEqualTo(share);
                }
            }
        }
    }

    @Test
    void withFewerNodesThanCopiesEveryNodeHoldsEveryPartition() {
        List<String> members = nodes(2);
        ReplicaPlacement placement = ReplicaPlacement.of(view(members, 4), members.get(1), Map.of(NS, 4), 3);
        for (String member : members) {
            assertThat(placement.partitionsOf(member)).hasSize(4);
        }
    }

    @Test
    void everyNodeComputesTheSamePlacementFromTheSameGroup() {
        List<String> members = nodes(4);
        GroupView view = view(members, 16);
        ReplicaPlacement first = ReplicaPlacement.of(view, members.get(0), Map.of(NS, 16), 2);
        ReplicaPlacement other = ReplicaPlacement.of(view, members.get(3), Map.of(NS, 16), 2);
        for (int p = 0; p < 16; p++) {
            assertThat(other.replicasOf(NS, p)).isEqualTo(first.replicasOf(NS, p));
        }
    }

    @Test
    void aNodeLeavingMovesLittleMoreThanItsOwnReplicas() {
        int partitions = 48;
        List<String> before = nodes(4);
        GroupView full = view(before, partitions);
        String leaving = before.get(3);
        // the group gives the leaver's partitions to the others and keeps the rest where they were
        Map<TopicPartition, String> owners = new HashMap<>(full.owners());
        List<String> after = before.subList(0, 3);
        owners.replaceAll((tp, owner) -> owner.equals(leaving) ? after.get(tp.partition() % 3) : owner);
        GroupView reduced = new GroupView(after, owners, 0);

        ReplicaPlacement was = ReplicaPlacement.of(full, before.get(0), Map.of(NS, partitions), 2);
        ReplicaPlacement now = ReplicaPlacement.of(reduced, before.get(0), Map.of(NS, partitions), 2);
        int lost = was.partitionsOf(leaving).size();
        int gained = 0;
        for (String member : after) {
            Set<TopicPartition> added = new HashSet<>(now.partitionsOf(member));
            added.removeAll(was.partitionsOf(member));
            gained += added.size();
        }
        assertThat(gained).as("replicas opened elsewhere when a node holding %d leaves", lost).isLessThanOrEqualTo(lost * 3 / 2);
    }

    private static List<String> nodes(int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> "http://node-" + i + ":8080").toList();
    }

    /** A group whose members own the namespace's partitions round robin. */
    private static GroupView view(List<String> members, int partitions) {
        Map<TopicPartition, String> owners = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            owners.put(new TopicPartition(NS.ingestTopic(), p), members.get(p % members.size()));
        }
        return new GroupView(members, owners, 0);
    }
}
