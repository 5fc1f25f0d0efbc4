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
 * loses, and every node computes the same placement from the same view. No node takes more than its
 * share of a namespace's replicas while another has room.
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
            Map<Integer, Optional<String>> owners = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                owners.put(p, view.ownerOf(namespace, p).filter(members::contains));
            }
            List<List<String>> replicas = place(namespace.truthTopic(), partitions, owners, members, copies);
            for (int p = 0; p < partitions; p++) {
                placed.put(namespace.truthPartition(p), replicas.get(p));
            }
        });
        return new ReplicaPlacement(Map.copyOf(placed));
    }

    /**
     * Places a namespace's partitions: each partition's owner first, then the members with the highest
     * rendezvous score for it among those not yet holding their share (the replicas of the namespace
     * divided by the members, rounded up), so that nodes hold equal numbers of replicas and a change of
     * members moves few of them.
     */
    static List<List<String>> place(String topic, int partitions, Map<Integer, Optional<String>> owners, Set<String> members, int copies) {
        int perPartition = Math.min(copies, members.size());
        int share = (partitions * perPartition + members.size() - 1) / members.size();
        Map<String, Integer> load = new HashMap<>();
        owners.values().forEach(owner -> owner.ifPresent(o -> load.merge(o, 1, Integer::sum)));
        List<List<String>> placed = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            int partition = p;
            Optional<String> owner = owners.get(p);
            List<String> chosen = new ArrayList<>(perPartition);
            owner.ifPresent(chosen::add);
            List<String> ranked = members.stream()
                    .filter(member -> !owner.map(member::equals).orElse(false))
                    .sorted(Comparator.comparingLong((String member) -> score(member, topic, partition)).reversed()
                            .thenComparing(Comparator.naturalOrder()))
                    .toList();
            for (String member : ranked) {
                if (chosen.size() < perPartition && load.getOrDefault(member, 0) < share) {
                    chosen.add(member);
                    load.merge(member, 1, Integer::sum);
                }
            }
            for (String member : ranked) {
                // Every eligible member is at its share: take one from an earlier partition that a member
                // with room can hold instead.
                if (chosen.size() < perPartition && !chosen.contains(member) && handOver(member, placed, members, load, share)) {
                    chosen.add(member);
                }
            }
            for (String member : ranked) { // no room anywhere (owners can exceed their share): take the best
                if (chosen.size() < perPartition && !chosen.contains(member)) {
                    chosen.add(member);
                    load.merge(member, 1, Integer::sum);
                }
            }
            placed.add(new ArrayList<>(chosen));
        }
        return placed.stream().map(List::copyOf).toList();
    }

    /** Replaces {@code member} as a (non-owner) replica of an earlier partition by a member with room. */
    private static boolean handOver(String member, List<List<String>> placed, Set<String> members, Map<String, Integer> load, int share) {
        for (List<String> earlier : placed) {
            int at = earlier.indexOf(member);
            if (at <= 0) {
                continue; // not there, or its owner
            }
            for (String other : members) {
                if (load.getOrDefault(other, 0) < share && !earlier.contains(other)) {
                    earlier.set(at, other);
                    load.merge(other, 1, Integer::sum);
                    return true;
                }
            }
        }
        return false;
    }

    /** The rendezvous score of a node for a partition: the highest scores hold it. */
    private static long score(String member, String topic, int partition) {
        byte[] bytes = (member + '\n' + topic + '\n' + partition).getBytes(StandardCharsets.UTF_8);
        return Utils.murmur2(bytes) & 0xffffffffL;
    }

    /** The URLs of the nodes holding a replica of a truth partition, owner first; empty when unknown. */
    public List<String> replicasOf(NamespaceName namespace, int partition) {
        return replicas.getOrDefault(namespace.truthPartition(partition), List.of());
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
