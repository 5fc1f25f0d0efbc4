package io.logkv.materializer;

import io.logkv.core.NamespaceName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Changes to which partitions this node holds replicas of: opens the missing ones it is asked to hold (each
 * resuming from its persisted position, or seeded) and, when told exactly what to hold, releases the rest. Runs
 * on the applier's polling thread, in commands.
 */
final class ReplicaHolding {

    private final HeldReplicas held;
    private final ReplicaOpening opening;
    private final ReplicaSeeding seeding;

    ReplicaHolding(HeldReplicas held, ReplicaOpening opening, ReplicaSeeding seeding) {
        this.held = held;
        this.opening = opening;
        this.seeding = seeding;
    }

    /** Opens the replicas of every partition of a namespace that this node does not hold yet. */
    void replicate(NamespaceName namespace, int partitions) {
        List<TopicPartition> wanted = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            wanted.add(namespace.truthPartition(p));
        }
        held.assignAdded(openMissing(wanted));
    }

    /** Opens the replica of one partition if this node holds none. */
    void ensure(TopicPartition tp) {
        held.assignAdded(openMissing(List.of(tp)));
    }

    /**
     * Holds exactly the replicas of {@code wanted} (truth partitions): opens the missing ones, and closes and
     * deletes the others (see {@link LocalReplicas#hold}).
     */
    void hold(Set<TopicPartition> wanted) {
        List<TopicPartition> added = openMissing(wanted.stream().filter(tp -> NamespaceName.ofTopic(tp.topic()) != null).toList());
        seeding.keepOnly(wanted);
        List<TopicPartition> released = held.byPartition().keySet().stream().filter(tp -> !wanted.contains(tp)).toList();
        released.forEach(held::release);
        if (!released.isEmpty() && added.isEmpty()) {
            held.assignAll();
        }
        held.assignAdded(added);
    }

    /** Opens the replicas of the partitions among {@code partitions} that are missing; those that opened (not seeding). */
    private List<TopicPartition> openMissing(Collection<TopicPartition> partitions) {
        List<TopicPartition> added = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (opening.missing(tp) && opening.open(tp) != null) {
                added.add(tp);
            }
        }
        return added;
    }
}
