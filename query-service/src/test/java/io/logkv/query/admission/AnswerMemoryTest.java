package io.logkv.query.admission;

import io.logkv.query.config.SheddingProperties;
import io.logkv.query.problem.ApiProblem;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnswerMemoryTest {

    private static final long MB = 1024 * 1024;

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final Refusals refusals = new Refusals(meters);

    private AnswerMemory memory(long capacity, long leastGrant) {
        return new AnswerMemory(capacity, leastGrant, Duration.ofSeconds(1), refusals, meters);
    }

    @Test
    void anAnswerGetsItsBoundThenWhatRoomIsLeftThenIsRefusedBelowTheLargestValue() {
        AnswerMemory memory = memory(20 * MB, MB);
        AnswerMemory.Grant first = memory.grant(8 * MB);
        AnswerMemory.Grant second = memory.grant(8 * MB);
        AnswerMemory.Grant third = memory.grant(8 * MB);
        assertThat(List.of(first.bytes(), second.bytes(), third.bytes())).containsExactly(8 * MB, 8 * MB, 4 * MB);
        assertThat(memory.held()).isEqualTo(20 * MB);
        assertThatThrownBy(() -> memory.grant(8 * MB)).isInstanceOfSatisfying(ApiProblem.class, refused -> {
            assertThat(refused.status().value()).isEqualTo(503);
            assertThat(refused.type()).isEqualTo("overloaded");
            assertThat(refused.headers()).containsKey("Retry-After");
        });
        assertThat(meters.get(Refusals.METER).tag("limit", "answer-bytes").counter().count()).isEqualTo(1);

        third.close();
        third.close();
        assertThat(memory.held()).as("given back once").isEqualTo(16 * MB);
        AnswerMemory.Grant small = memory.grant(1000);
        assertThat(small.bytes()).as("an answer that wants less than a value gets what it wants").isEqualTo(1000);
        AnswerMemory.Grant rest = memory.grant(8 * MB);
        assertThat(rest.bytes()).isEqualTo(4 * MB - 1000);
        assertThatThrownBy(() -> memory.grant(1)).isInstanceOf(ApiProblem.class);
        for (AnswerMemory.Grant grant : List.of(first, second, small, rest)) {
            grant.close();
        }
        assertThat(memory.held()).isZero();
        assertThat(meters.get(AnswerMemory.HELD_METER).gauge().value()).isZero();
    }

    @Test
    void withoutABoundEveryGrantIsWholeAndStillCounted() {
        AnswerMemory memory = memory(0, MB);
        AnswerMemory.Grant grant = memory.grant(Long.MAX_VALUE / 4);
        assertThat(grant.bytes()).isEqualTo(Long.MAX_VALUE / 4);
        assertThat(memory.held()).isEqualTo(Long.MAX_VALUE / 4);
        grant.close();
        assertThat(memory.held()).isZero();
    }

    @Test
    void concurrentGrantsNeverHoldMoreThanTheBound() throws Exception {
        long capacity = 10 * MB;
        AnswerMemory memory = memory(capacity, MB);
        AtomicLong most = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 20_000; i++) {
                        try {
                            AnswerMemory.Grant grant = memory.grant(3 * MB);
                            most.accumulateAndGet(memory.held(), Math::max);
                            assertThat(grant.bytes()).isBetween(MB, 3 * MB);
                            grant.close();
                        } catch (ApiProblem refused) {
                            // no room: the bound held
                        }
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
        AnswerMemory memory = memory(100 * MB, MB);
        LoadShedding shedding = new LoadShedding(new SheddingProperties(256, Duration.ofSeconds(1), DataSize.ofKilobytes(64), 8,
                DataSize.ofMegabytes(100)), refusals, JsonMapper.builder().build(), meters);

        MockHttpServletRequest onThread = new MockHttpServletRequest("POST", "/v1/namespaces/n/batch-get");
        shedding.doFilter(onThread, new MockHttpServletResponse(), (request, response) ->
                memory.grant((MockHttpServletRequest) request, 8 * MB));
        assertThat(memory.held()).as("answered on its thread").isZero();

        ConcurrentLinkedQueue<MockAsyncContext> pending = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < 2; i++) {
            MockHttpServletRequest async = new MockHttpServletRequest("GET", "/v1/namespaces/n/keys");
            async.setAsyncSupported(true);
            shedding.doFilter(async, new MockHttpServletResponse(), (request, response) -> {
                memory.grant((MockHttpServletRequest) request, 8 * MB);
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
                memory.grant((MockHttpServletRequest) request, 8 * MB);
                throw new IllegalStateException("a failure after the grant");
            });
        } catch (IllegalStateException expected) {
            // the filter lets it through, having given the grant back
        }
        assertThat(memory.held()).as("a request that failed on its thread").isZero();
    }
}
