package io.logkv.writer;

import io.logkv.core.HomeLease;
import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog's reading of the registry, with Kafka replaced by a {@link MockConsumer}: leases are kept apart from
 * namespaces and never reach the listeners, and the view counts as fresh only once read up to an end asked for.
 */
class NamespaceCatalogTest {

    private static final NamespaceName ORDERS = new NamespaceName("orders");
    private static final NamespaceName LATER = new NamespaceName("later");
    private static final RegionName B = new RegionName("b");
    private static final long WAIT_MS = 5_000;

    /** An ask for the registry's end takes {@link #ASK_TAKES}: the view is fresh as of the moment before it. */
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
        @Override
        public synchronized Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
            time.advance(ASK_TAKES);
            return super.endOffsets(partitions, timeout);
        }
    };
    private static final Duration ASK_TAKES = Duration.ofMillis(300);
    private final ManualNodeTime time = new ManualNodeTime(1_700_000_000_000L);
    private final NamespaceCatalog catalog = new NamespaceCatalog(consumer, time, Duration.ofSeconds(10));
    private final List<NamespaceName> heard = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        catalog.close();
    }

    @Test
    void leaseRecordsAreReadQuietlyAndNeverReachTheListeners() throws Exception {
        HomeLease required = HomeLease.required(30_000, 1_000);
        start(List.of(
                record(0, ORDERS.value(), new NamespaceSettings(2, Duration.ZERO).encode()),
                record(1, key(ORDERS, B), required.value()),
                record(2, key(LATER, B), required.value()), // a lease may come before its namespace
                record(3, key(ORDERS, new RegionName("c")), new byte[] {9}), // not a lease this version reads: binds all the same
                record(4, HomeLease.REGISTRY_KEY_PREFIX + "no-grantor", required.value())));

        await(() -> catalog.freshAsOfNanos().isPresent(), "the registry read to its end");
        assertThat(catalog.awaitHeard(5, Duration.ofSeconds(5)).get()).isTrue();

        assertThat(heard).as("listeners hear of namespaces only").containsExactly(ORDERS);
        assertThat(catalog.all()).containsOnlyKeys(ORDERS);
        assertThat(catalog.homeLeases(ORDERS)).containsEntry(B, required).containsKey(new RegionName("c"));
        assertThat(catalog.homeLeases(ORDERS).get(new RegionName("c")).holdsAt(time.nowMs())).as("an unreadable lease").isFalse();
        assertThat(catalog.homeLeases(LATER)).isEqualTo(Map.of(B, required));
        assertThat(catalog.settings(LATER)).isEmpty();
    }

    @Test
    void theViewIsFreshAsOfAnAskedEndOnlyOnceReadUpToIt() throws Exception {
        long firstAsk = time.nanoTime();
        start(List.of(record(0, ORDERS.value(), new NamespaceSettings(1, Duration.ZERO).encode())));
        // Fresh as of the moment before the ask, not after it: a record committed while the ask was on its way may lie
        // above the end it answers.
        await(() -> catalog.freshAsOfNanos().equals(OptionalLong.of(firstAsk)), "the first end read");
        assertThat(time.nanoTime()).isEqualTo(firstAsk + ASK_TAKES.toNanos());

        // A requirement is committed, and the catalog asks for the end a second later, before it has fetched it.
        consumer.updateEndOffsets(Map.of(NamespaceRegistryTopic.PARTITION, 2L));
        long secondAsk = time.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        time.advance(Duration.ofSeconds(1));
        Thread.sleep(300);
        assertThat(catalog.freshAsOfNanos()).as("not read up to the end asked for").hasValue(firstAsk);

        consumer.addRecord(record(1, key(ORDERS, B), HomeLease.required(30_000, 1_000).value()));

        await(() -> catalog.freshAsOfNanos().equals(OptionalLong.of(secondAsk)), "the second end read");
        assertThat(catalog.homeLeases(ORDERS)).containsKey(B);
        assertThat(HomeLeases.of(catalog).refusal(ORDERS)).hasValueSatisfying(reason -> assertThat(reason).contains("not granted"));
    }

    @Test
    void aStuckListenerHoldsNeitherTheViewNorItsFreshnessBackOnlyTheWaitsForWhatListenersHeard() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        catalog.listen((namespace, settings) -> {
            if (namespace.equals(ORDERS)) {
                entered.countDown();
                awaitQuietly(release); // an admin call that hangs, say
            }
        });
        start(List.of(record(0, ORDERS.value(), new NamespaceSettings(1, Duration.ZERO).encode())));
        assertThat(entered.await(5, TimeUnit.SECONDS)).as("the stuck listener called").isTrue();

        // The registry moves on: a lease is required and another namespace created, while the listener is stuck.
        consumer.addRecord(record(1, key(ORDERS, B), HomeLease.required(30_000, 1_000).value()));
        consumer.addRecord(record(2, LATER.value(), new NamespaceSettings(1, Duration.ZERO).encode()));
        consumer.updateEndOffsets(Map.of(NamespaceRegistryTopic.PARTITION, 3L));
        long ask = time.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        time.advance(Duration.ofSeconds(2));

        await(() -> catalog.freshAsOfNanos().equals(OptionalLong.of(ask)), "the view fresh as of the later ask");
        assertThat(catalog.homeLeases(ORDERS)).containsKey(B);
        assertThat(catalog.settings(LATER)).isPresent();
        assertThat(catalog.awaitPosition(3, Duration.ofSeconds(5)).get()).as("the view's own position").isTrue();
        CompletableFuture<Boolean> heardAll = catalog.awaitHeard(3, Duration.ofSeconds(30));
        Thread.sleep(200);
        assertThat(heardAll).as("the listeners have not heard yet").isNotDone();
        assertThat(heard).as("the listener after the stuck one").isEmpty();

        release.countDown();
        assertThat(heardAll.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(heard).as("in log order, once each").containsExactly(ORDERS, LATER);
    }

    @Test
    void theEndIsAskedForEverySecondOrFourTimesWithinTheAllowedAge() {
        assertThat(NamespaceCatalog.endCheckInterval(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(1));
        assertThat(NamespaceCatalog.endCheckInterval(Duration.ofSeconds(2))).isEqualTo(Duration.ofMillis(500));
        assertThat(NamespaceCatalog.endCheckInterval(Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(100));
    }

    private void start(List<ConsumerRecord<byte[], byte[]>> records) {
        catalog.listen((namespace, settings) -> heard.add(namespace));
        consumer.updateBeginningOffsets(Map.of(NamespaceRegistryTopic.PARTITION, 0L));
        consumer.updateEndOffsets(Map.of(NamespaceRegistryTopic.PARTITION, (long) records.size()));
        catalog.start();
        records.forEach(consumer::addRecord);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String key(NamespaceName namespace, RegionName grantor) {
        return new String(HomeLease.registryKey(namespace, grantor), StandardCharsets.UTF_8);
    }

    private static ConsumerRecord<byte[], byte[]> record(long offset, String key, byte[] value) {
        return new ConsumerRecord<>(NamespaceRegistryTopic.PARTITION.topic(), 0, offset, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
