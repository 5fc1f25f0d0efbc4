package io.logkv.writer;

import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceName;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsResult;
import org.apache.kafka.clients.admin.MemberAssignment;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The owner directory answers from the group view it read for as long as the cache time, by the node's
 * monotonic clock, and asks Kafka again after; a rebalance keeps the last stable view. No Kafka: the admin
 * client answers from {@link #group}.
 */
class OwnerDirectoryTest {

    private static final String GROUP = "logkv-writers";
    private static final Duration CACHE_FOR = Duration.ofSeconds(1);
    private static final NamespaceName ORDERS = new NamespaceName("orders");

    private final ManualNodeTime time = new ManualNodeTime(1_700_000_000_000L);
    private final AtomicReference<ConsumerGroupDescription> group = new AtomicReference<>();
    private final AtomicInteger describes = new AtomicInteger();
    private final OwnerDirectory directory = new OwnerDirectory(admin(), GROUP, CACHE_FOR, time);

    @Test
    void anOwnerIsAnsweredFromTheViewReadUntilTheCacheTimeHasPassed() {
        group.set(stable(member("http://a:8080", 0)));
        assertThat(directory.ownerOf(ORDERS, 0, false).join()).contains("http://a:8080");
        group.set(stable(member("http://b:8080", 0)));

        time.advance(CACHE_FOR.minusMillis(1));
        assertThat(directory.ownerOf(ORDERS, 0, false).join()).as("still cached").contains("http://a:8080");
        assertThat(describes).hasValue(1);

        time.advance(Duration.ofMillis(1));
        assertThat(directory.ownerOf(ORDERS, 0, false).join()).as("read again").contains("http://b:8080");
        assertThat(describes).hasValue(2);
    }

    @Test
    void aRefreshAsksKafkaWhateverTheViewsAge() {
        group.set(stable(member("http://a:8080", 0)));
        directory.ownerOf(ORDERS, 0, false).join();
        group.set(stable(member("http://b:8080", 0)));

        assertThat(directory.ownerOf(ORDERS, 0, true).join()).contains("http://b:8080");
        assertThat(describes).hasValue(2);
    }

    @Test
    void duringARebalanceNobodyOwnsAnythingAndTheStableViewFromBeforeItCountsAsFreshlyRead() {
        group.set(stable(member("http://a:8080", 0)));
        directory.stableView(true).join();
        time.advance(Duration.ofSeconds(5));
        group.set(rebalancing(member("http://a:8080", -1), member("http://b:8080", -1)));

        assertThat(directory.ownerOf(ORDERS, 0, false).join()).as("the new owner is not known yet").isEmpty();
        OwnerDirectory.GroupView stable = directory.stableView(false).join();
        assertThat(stable.members()).containsExactly("http://a:8080");
        assertThat(stable.ownerOf(ORDERS, 0)).contains("http://a:8080");
        assertThat(stable.readAtNanos()).isEqualTo(time.nanoTime());

        time.advance(CACHE_FOR.minusMillis(1));
        directory.stableView(false).join();
        assertThat(describes).as("the rebalance's read counts as the stable view's").hasValue(2);
    }

    private static ConsumerGroupDescription stable(MemberDescription... members) {
        return group(GroupState.STABLE, members);
    }

    private static ConsumerGroupDescription rebalancing(MemberDescription... members) {
        return group(GroupState.PREPARING_REBALANCE, members);
    }

    private static ConsumerGroupDescription group(GroupState state, MemberDescription... members) {
        return new ConsumerGroupDescription(GROUP, false, List.of(members), "range", GroupType.CLASSIC, state, Node.noNode(),
                Set.of(), Optional.empty(), Optional.empty());
    }

    /** A member of the writers' group at {@code url}, assigned the ingest partition {@code partition} (none when negative). */
    private static MemberDescription member(String url, int partition) {
        MemberAssignment assignment = new MemberAssignment(partition < 0 ? Set.of() : Set.of(ORDERS.ingestPartition(partition)));
        return new MemberDescription("member-" + url, Optional.empty(), Optional.empty(), OwnerDirectory.clientIdFor(url), "/127.0.0.1",
                assignment, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** An admin client that can only describe the group, as {@link #group} holds it. */
    private Admin admin() {
        return (Admin) Proxy.newProxyInstance(Admin.class.getClassLoader(), new Class<?>[] {Admin.class}, (proxy, method, args) -> {
            if (!method.getName().equals("describeConsumerGroups")) {
                throw new UnsupportedOperationException(method.getName());
            }
            describes.incrementAndGet();
            return new DescribeConsumerGroupsResult(Map.of(GROUP, KafkaFuture.completedFuture(group.get())));
        });
    }
}
