package io.logkv.query.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReadCoalescerTest {

    private static final byte[] KEY = "hot".getBytes(StandardCharsets.UTF_8);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ReadCoalescer coalescer = new ReadCoalescer(meters);
    private final ExecutorService threads = Executors.newFixedThreadPool(8);
    private final Object replica = new Object();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    /** Starts a read that blocks in the store until released, and returns once it is inside the store. */
    private CompletableFuture<String> blockedRead(Object source, long position, byte[] key, CountDownLatch release, AtomicInteger storeReads,
                                                  String value) throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1);
        CompletableFuture<String> result = CompletableFuture.supplyAsync(() -> coalescer.read(source, position, key, () -> {
            storeReads.incrementAndGet();
            inside.countDown();
            await(release);
            return value;
        }), threads);
        assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
        return result;
    }

    @Test
    void readsOfOneKeyAtOnePositionShareOneStoreReadAndAreCounted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger storeReads = new AtomicInteger();
        CompletableFuture<String> first = blockedRead(replica, 7, KEY, release, storeReads, "v1");
        List<CompletableFuture<String>> joined = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            // Another array with the same bytes: keys are compared by content.
            byte[] sameKey = "hot".getBytes(StandardCharsets.UTF_8);
            joined.add(CompletableFuture.supplyAsync(() -> coalescer.read(replica, 7, sameKey, () -> {
                storeReads.incrementAndGet();
                return "own read";
            }), threads));
        }
        awaitCount(5);
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("v1");
        for (CompletableFuture<String> read : joined) {
            assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo("v1");
        }
        assertThat(storeReads).hasValue(1);
        assertThat(coalescer.coalesced()).isEqualTo(5);
        assertThat(meters.get("logkv.reads.coalesced").counter().count()).isEqualTo(5);
    }

    @Test
    void aReadAtAnotherPositionOrOfAnotherReplicaOrKeyReadsForItself() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger storeReads = new AtomicInteger();
        CompletableFuture<String> first = blockedRead(replica, 7, KEY, release, storeReads, "at 7");
        // A read whose replica has applied more must not take a value read before that position.
        assertThat(coalescer.read(replica, 8, KEY, () -> "at 8")).isEqualTo("at 8");
        assertThat(coalescer.read(new Object(), 7, KEY, () -> "other replica")).isEqualTo("other replica");
        assertThat(coalescer.read(replica, 7, "cold".getBytes(StandardCharsets.UTF_8), () -> "other key")).isEqualTo("other key");
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("at 7");
        assertThat(coalescer.coalesced()).isZero();
    }

    @Test
    void aFinishedReadIsNotReusedAndAFailedOneFailsItsJoinersOnly() throws Exception {
        assertThat(coalescer.read(replica, 7, KEY, () -> "first")).isEqualTo("first");
        assertThat(coalescer.read(replica, 7, KEY, () -> "second")).isEqualTo("second");

        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch inside = new CountDownLatch(1);
        CompletableFuture<String> failing = CompletableFuture.supplyAsync(() -> coalescer.read(replica, 9, KEY, () -> {
            inside.countDown();
            await(release);
            throw new IllegalStateException("store closed");
        }), threads);
        assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<String> joiner = CompletableFuture.supplyAsync(() -> coalescer.read(replica, 9, KEY, () -> "never"), threads);
        awaitCount(1);
        release.countDown();
        assertThatThrownBy(() -> failing.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("store closed");
        assertThatThrownBy(() -> joiner.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("store closed");
        assertThat(coalescer.read(replica, 9, KEY, () -> "after")).isEqualTo("after");
    }

    private void awaitCount(long joined) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (coalescer.coalesced() < joined && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(coalescer.coalesced()).isEqualTo(joined);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(5, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
