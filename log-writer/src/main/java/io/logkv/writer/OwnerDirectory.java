package io.logkv.writer;

import io.logkv.core.NamespaceName;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * Who owns which partition, as the writers' group currently assigns them, read with the Kafka admin API
 * (each member's client id carries the URL where its node takes forwarded writes). Answers are cached
 * briefly; a stale answer costs one more forward, never a wrong write, because only the real owner can
 * commit.
 */
public final class OwnerDirectory {

    private static final String CLIENT_ID_PREFIX = "logkv-owner@";

    private final Admin admin;
    private final String groupId;
    private final Duration cacheFor;
    private volatile Snapshot snapshot = new Snapshot(Map.of(), 0);

    public OwnerDirectory(Admin admin, String groupId, Duration cacheFor) {
        this.admin = admin;
        this.groupId = groupId;
        this.cacheFor = cacheFor;
    }

    /** The group client id of a node reachable at {@code advertisedUrl}. */
    public static String clientIdFor(String advertisedUrl) {
        return CLIENT_ID_PREFIX + advertisedUrl;
    }

    /** The URL of the node owning a truth partition, if the group has assigned it. */
    public CompletableFuture<Optional<String>> ownerOf(NamespaceName namespace, int partition, boolean refresh) {
        TopicPartition ingestPartition = new TopicPartition(namespace.ingestTopic(), partition);
        Snapshot current = snapshot;
        if (!refresh && System.nanoTime() - current.readAtNanos < cacheFor.toNanos()) {
            return CompletableFuture.completedFuture(Optional.ofNullable(current.owners.get(ingestPartition)));
        }
        return admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId)
                .toCompletionStage().toCompletableFuture()
                .handle((description, error) -> {
                    if (error != null) {
                        // No group yet (no node has joined) or Kafka briefly unreachable: no owner known.
                        return Optional.<String>empty();
                    }
                    Snapshot fresh = new Snapshot(owners(description), System.nanoTime());
                    snapshot = fresh;
                    return Optional.ofNullable(fresh.owners.get(ingestPartition));
                });
    }

    private static Map<TopicPartition, String> owners(ConsumerGroupDescription description) {
        Map<TopicPartition, String> owners = new HashMap<>();
        for (MemberDescription member : description.members()) {
            if (member.clientId().startsWith(CLIENT_ID_PREFIX)) {
                String url = member.clientId().substring(CLIENT_ID_PREFIX.length());
                member.assignment().topicPartitions().forEach(tp -> owners.put(tp, url));
            }
        }
        return owners;
    }

    private record Snapshot(Map<TopicPartition, String> owners, long readAtNanos) {
    }
}
