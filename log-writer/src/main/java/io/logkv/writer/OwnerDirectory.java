package io.logkv.writer;

import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

/**
 * Which nodes are in the writers' group and which of them owns which partition, read with the Kafka
 * admin API (each member's client id carries the URL where its node takes forwarded requests). Answers
 * are cached briefly; a stale answer costs one more forward, never a wrong write, because only the real
 * owner can commit.
 *
 * <p>While the group is rebalancing its description lists members without assignments; the directory
 * then keeps the last stable view, so that a rebalance does not look like a group without nodes.
 */
public final class OwnerDirectory {

    private static final String CLIENT_ID_PREFIX = "logkv-owner@";

    private final Admin admin;
    private final String groupId;
    private final Duration cacheFor;
    private final NodeTime time;
    private volatile GroupView latest = GroupView.EMPTY;
    private volatile GroupView stable = GroupView.EMPTY;

    public OwnerDirectory(Admin admin, String groupId, Duration cacheFor) {
        this(admin, groupId, cacheFor, NodeTime.SYSTEM);
    }

    /** @param time whose {@link NodeTime#nanoTime()} dates each view and ages it against {@code cacheFor} */
    public OwnerDirectory(Admin admin, String groupId, Duration cacheFor, NodeTime time) {
        this.admin = admin;
        this.groupId = groupId;
        this.cacheFor = cacheFor;
        this.time = time;
    }

    /** The group client id of a node reachable at {@code advertisedUrl}. */
    public static String clientIdFor(String advertisedUrl) {
        return CLIENT_ID_PREFIX + advertisedUrl;
    }

    /** The URL of the node owning a truth partition, if the group has assigned it. */
    public CompletableFuture<Optional<String>> ownerOf(NamespaceName namespace, int partition, boolean refresh) {
        GroupView current = latest;
        if (!refresh && time.nanoTime() - current.readAtNanos() < cacheFor.toNanos()) {
            return CompletableFuture.completedFuture(current.ownerOf(namespace, partition));
        }
        // While the group rebalances nobody owns anything: the caller waits for the new owner.
        return describe().thenApply(ignored -> latest.ownerOf(namespace, partition));
    }

    /**
     * The group as last seen stable: fresh when {@code refresh} or when the cached view is older than the
     * cache time. During a rebalance this is the view from before it.
     */
    public CompletableFuture<GroupView> stableView(boolean refresh) {
        GroupView current = stable;
        if (!refresh && time.nanoTime() - current.readAtNanos() < cacheFor.toNanos()) {
            return CompletableFuture.completedFuture(current);
        }
        return describe().thenApply(ignored -> stable);
    }

    /** The last stable view described, without asking Kafka. */
    public GroupView lastStableView() {
        return stable;
    }

    private CompletableFuture<Void> describe() {
        return admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId)
                .toCompletionStage().toCompletableFuture()
                .handle((description, error) -> {
                    if (error != null) {
                        // No group yet (no node has joined) or Kafka briefly unreachable: keep what we knew.
                        return null;
                    }
                    long now = time.nanoTime();
                    GroupView fresh = of(description, now);
                    if (description.groupState() == GroupState.STABLE || description.groupState() == GroupState.EMPTY) {
                        stable = fresh;
                        latest = fresh;
                    } else {
                        latest = new GroupView(fresh.members(), Map.of(), now);
                        stable = stable.readAt(now);
                    }
                    return null;
                });
    }

    private static GroupView of(ConsumerGroupDescription description, long readAtNanos) {
        Map<TopicPartition, String> owners = new HashMap<>();
        TreeSet<String> members = new TreeSet<>();
        for (MemberDescription member : description.members()) {
            if (member.clientId().startsWith(CLIENT_ID_PREFIX)) {
                String url = member.clientId().substring(CLIENT_ID_PREFIX.length());
                members.add(url);
                member.assignment().topicPartitions().forEach(tp -> owners.put(tp, url));
            }
        }
        return new GroupView(List.copyOf(members), Map.copyOf(owners), readAtNanos);
    }

    /**
     * The writers' group at one moment.
     *
     * @param members     the URLs of the nodes in the group, sorted
     * @param owners      the owner's URL of each ingest partition the group has assigned
     * @param readAtNanos when the view was read (a monotonic nanosecond count: {@link System#nanoTime()} outside tests)
     */
    public record GroupView(List<String> members, Map<TopicPartition, String> owners, long readAtNanos) {

        static final GroupView EMPTY = new GroupView(List.of(), Map.of(), 0);

        /** The URL of the owner of a namespace's partition, if assigned. */
        public Optional<String> ownerOf(NamespaceName namespace, int partition) {
            return Optional.ofNullable(owners.get(namespace.ingestPartition(partition)));
        }

        GroupView readAt(long nanos) {
            return new GroupView(members, owners, nanos);
        }
    }
}
