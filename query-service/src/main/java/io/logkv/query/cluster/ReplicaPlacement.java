package io.logkv.query.cluster;

import io.logkv.core.NamespaceName;
import io.logkv.writer.OwnerDirectory.GroupView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * Which nodes hold a replica of which partition, derived from the writers' group: its members are the
 * nodes, and the owner of a partition is always its first replica (the owner checks conditions against
 * its own replica). The other {@code copies - 1} replicas are the members that rank highest for the
 * partition by rendezvous hashing, so that a node joining or leaving moves only the replicas it gains or
 * loses, and every node computes the same placement from the same view.
 */
public final class ReplicaPlacement {

    private final Map<TopicPartition, List<String>> replicas;

    private ReplicaPlacement(Map<TopicPartition, List<String>> replicas) {
        this.replicas = replicas;
    }

    /** No namespaces, no replicas. */
    public static ReplicaPlacement empty() {
        return new ReplicaPlacement(Map.of());
    }

    /**
     * Places {@code copies} replicas of every partition of every namespace.
     *
     * @param view       the writers' group
     * @param self       this node's URL, counted as a member even before the group lists it
     * @param namespaces the partition count of each namespace served
     * @param copies     replicas per partition (fewer when there are fewer nodes)
     */
    public static ReplicaPlacement of(GroupView view, String self, Map<NamespaceName, Integer> namespaces, int copies) {
        Set<String> members = new TreeSet<>(view.members());
        members.add(self);
        Map<TopicPartition, List<String>> placed = new HashMap<>();
        namespaces.forEach((namespace, partitions) -> {
            for (int p = 0; p < partitions; p++) {
                Optional<String> owner = view.ownerOf(namespace, p).filter(members::contains);
                placed.put(new TopicPartition(namespace.truthTopic(), p), place(namespace.truthTopic(), p, owner, members, copies));
            }
        });
        return new ReplicaPlacement(Map.copyOf(placed));
    }

    static List<String> place(String topic, int partition, Optional<String> owner, Set<String> members, int copies) {
        List<String> chosen = new ArrayList<>(copies);
        owner.ifPresent(chosen::add);
        members.stream()
                .filter(member -> !owner.map(member::equals).orElse(false))
                .sorted(Comparator.comparingLong((String member) -> score(member, topic, partition)).reversed()
                        .thenComparing(Comparator.naturalOrder()))
                .limit(Math.max(0, copies - chosen.size()))
                .forEach(chosen::add);
        return List.copyOf(chosen);
    }

    /** The rendezvous score of a node for a partition: the highest scores hold it. */
    private static long score(String member, String topic, int partition) {
        byte[] bytes = (member + '\n' + topic + '\n' + partition).getBytes(StandardCharsets.UTF_8);
        return Utils.murmur2(bytes) & 0xffffffffL;
    }

    /** The URLs of the nodes holding a replica of a truth partition, owner first; empty when unknown. */
    public List<String> replicasOf(NamespaceName namespace, int partition) {
        return replicas.getOrDefault(new TopicPartition(namespace.truthTopic(), partition), List.of());
    }

    /** The truth partitions a node holds replicas of. */
    public Set<TopicPartition> partitionsOf(String node) {
        Set<TopicPartition> mine = new HashSet<>();
        replicas.forEach((tp, nodes) -> {
            if (nodes.contains(node)) {
                mine.add(tp);
            }
        });
        return mine;
    }
}
