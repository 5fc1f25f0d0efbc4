package io.logkv.query.admission;

import io.logkv.query.config.SheddingProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockAsyncContext;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class AnswerMemoryTest {

    private static final long MB = 1024 * 1024;

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final Refusals refusals = new Refusals(meters);

    private AnswerMemory memory(long capacity) {
        return new AnswerMemory(capacity, refusals, meters);
    }

    @Test
    void valuesJoinAnAnswerWhileTheNodeHasRoomAndTheFirstOfAPartAlways() {
        AnswerMemory memory = memory(20 * MB);
        AnswerMemory.Grant first = memory.open();
        assertThat(first.take(8 * MB, false)).isTrue();
        assertThat(first.take(8 * MB, false)).isTrue();
        AnswerMemory.Grant second = memory.open();
        assertThat(second.take(8 * MB, false)).as("no room").isFalse();
        assertThat(second.take(8 * MB, true)).as("a part's first value").isTrue();
        assertThat(memory.held()).isEqualTo(24 * MB);
        assertThat(second.take(1, false)).isFalse();
        assertThat(meters.get("logkv.answers.cut").counter().count()).isEqualTo(2);

        first.close();
        first.close();
        assertThat(memory.held()).as("given back once").isEqualTo(8 * MB);
        assertThat(first.take(1, true)).as("an answer already sent or given up takes nothing more").isFalse();
        assertThat(second.take(MB, false)).isTrue();
        assertThat(second.bytes()).isEqualTo(9 * MB);
        second.close();
        assertThat(memory.held()).isZero();
        assertThat(meters.get(AnswerMemory.HELD_METER).gauge().value()).isZero();
    }

    @Test
    void withoutABoundEveryValueJoinsAndIsStillCounted() {
        AnswerMemory memory = memory(0);
        AnswerMemory.Grant grant = memory.open();
        assertThat(grant.take(Long.MAX_VALUE / 4, false)).isTrue();
        assertThat(memory.held()).isEqualTo(Long.MAX_VALUE / 4);
        grant.close();
        assertThat(memory.held()).isZero();
    }

    @Test
    void concurrentAnswersNeverHoldMoreThanTheBoundWithoutFirstValues() throws Exception {
        long capacity = 10 * MB;
        AnswerMemory memory = memory(capacity);
        AtomicLong most = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 20_000; i++) {
                        AnswerMemory.Grant grant = memory.open();
                        while (grant.take(MB, false)) {
                            most.accumulateAndGet(memory.held(), Math::max);
                            if (grant.bytes() == 3 * MB) {
                                break;
                            }
                        }
                        grant.close();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(most.get()).isLessThanOrEqualTo(capacity);
        assertThat(memory.held()).isZero();
    }

    @Test
    void aRequestGivesItsGrantBackWhenAnsweredOnItsThreadOrOnceItsAsynchronousAnswerIsSent() throws Exception {
        AnswerMemory memory = memory(100 * MB);
        LoadShedding shedding = new LoadShedding(new SheddingProperties(256, Duration.ofSeconds(1), DataSize.ofKilobytes(64), 8,
                DataSize.ofMegabytes(100)), refusals, JsonMapper.builder().build(), meters);

        MockHttpServletRequest onThread = new MockHttpServletRequest("POST", "/v1/namespaces/n/batch-get");
        shedding.doFilter(onThread, new MockHttpServletResponse(), (request, response) -> {
            AnswerMemory.Grant grant = memory.of((MockHttpServletRequest) request);
            assertThat(memory.of((MockHttpServletRequest) request)).as("one account per request").isSameAs(grant);
            grant.take(8 * MB, true);
        });
        assertThat(memory.held()).as("answered on its thread").isZero();

        ConcurrentLinkedQueue<MockAsyncContext> pending = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < 2; i++) {
            MockHttpServletRequest async = new MockHttpServletRequest("GET", "/v1/namespaces/n/keys");
            async.setAsyncSupported(true);
            shedding.doFilter(async, new MockHttpServletResponse(), (request, response) -> {
                memory.of((MockHttpServletRequest) request).take(8 * MB, true);
                pending.add((MockAsyncContext) request.startAsync());
            });
        }
        assertThat(memory.held()).as("held while the answers are not sent").isEqualTo(16 * MB);
        pending.poll().complete();
        assertThat(memory.held()).isEqualTo(8 * MB);
        pending.poll().complete();
        assertThat(memory.held()).isZero();

        MockHttpServletRequest failed = new MockHttpServletRequest("GET", "/v1/namespaces/n/keys");
        try {
            shedding.doFilter(failed, new MockHttpServletResponse(), (request, response) -> {
                memory.of((MockHttpServletRequest) request).take(8 * MB, true);
                throw new IllegalStateException("a failure after the grant");
            });
        } catch (IllegalStateException expected) {
            // the filter lets it through, having given the grant back
        }
        assertThat(memory.held()).as("a request that failed on its thread").isZero();
    }
}
