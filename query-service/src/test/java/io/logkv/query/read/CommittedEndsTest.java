package io.logkv.query.read;

import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * Strong reads share end-offset lookups, and a read is only ever answered by a lookup that began after it
 * arrived: otherwise it could miss a write acknowledged between the lookup and the read.
 */
class CommittedEndsTest {

    private static final TopicPartition P0 = new TopicPartition("logkv.truth.ns", 0);
    private static final TopicPartition P1 = new TopicPartition("logkv.truth.ns", 1);

    private final List<Map<TopicPartition, KafkaFutureImpl<ListOffsetsResultInfo>>> lookups = new ArrayList<>();
    private final CommittedEnds ends = new CommittedEnds(admin(), 1, Duration.ofMinutes(1));

    @Test
    void aReadArrivingDuringALookupWaitsForTheNextOneAndReadsArrivingTogetherShareIt() {
        CompletableFuture<Long> first = ends.of(P0);
        assertThat(lookups).hasSize(1);

        CompletableFuture<Long> second = ends.of(P0);
        CompletableFuture<Long> third = ends.of(P1);
        assertThat(lookups).as("reads arriving during a lookup start none of their own").hasSize(1);

        answer(0, P0, 10);
        assertThat(first).isCompletedWithValue(10L);
        assertThat(second).as("answered only by a lookup that began after it arrived").isNotDone();
        assertThat(lookups).as("the next lookup starts when the current one ends, for every waiting partition").hasSize(2);
        assertThat(lookups.get(1)).containsOnlyKeys(P0, P1);

        CompletableFuture<Long> fourth = ends.of(P0);
        answer(1, P0, 20);
        answer(1, P1, 7);
        assertThat(second).isCompletedWithValue(20L);
        assertThat(third).isCompletedWithValue(7L);
        assertThat(fourth).isNotDone();
        assertThat(lookups).hasSize(3);

        answer(2, P0, 21);
        assertThat(fourth).isCompletedWithValue(21L);
        assertThat(lookups).as("nobody waits: no further lookup").hasSize(3);
        ends.of(P1);
        assertThat(lookups).as("a read with no lookup in flight starts one at once").hasSize(4);
    }

    @Test
    void withTwoInFlightAReadArrivingDuringALookupStartsItsOwnAndAThirdWaitsForEitherToEnd() {
        CommittedEnds two = new CommittedEnds(admin(), 2, Duration.ofMinutes(1));
        CompletableFuture<Long> first = two.of(P0);
        CompletableFuture<Long> second = two.of(P0);
        assertThat(lookups).as("the second read does not wait out the first's lookup").hasSize(2);
        CompletableFuture<Long> third = two.of(P1);
        CompletableFuture<Long> fourth = two.of(P0);
        assertThat(lookups).as("two in flight: the others wait").hasSize(2);

        answer(1, P0, 11);
        assertThat(second).isCompletedWithValue(11L);
        assertThat(first).as("its own lookup, which began before the second's, has not answered").isNotDone();
        assertThat(third).as("answered only by a lookup that began after it arrived").isNotDone();
        assertThat(lookups).as("the freed place starts the next lookup, for every waiting partition").hasSize(3);
        assertThat(lookups.get(2)).containsOnlyKeys(P0, P1);

        answer(0, P0, 10);
        assertThat(first).isCompletedWithValue(10L);
        assertThat(lookups).as("nobody waits: the place is freed").hasSize(3);
        answer(2, P0, 12);
        answer(2, P1, 4);
        assertThat(third).isCompletedWithValue(4L);
        assertThat(fourth).isCompletedWithValue(12L);

        two.of(P1);
        two.of(P1);
        assertThat(lookups).as("both places free again").hasSize(5);
    }

    @Test
    void aFailedLookupFailsItsReadsAndTheNextReadStartsAFreshOne() {
        CompletableFuture<Long> first = ends.of(P0);
        lookups.get(0).get(P0).completeExceptionally(new IllegalStateException("leader moved"));
        assertThat(first).isCompletedExceptionally();
        CompletableFuture<Long> next = ends.of(P0);
        assertThat(lookups).hasSize(2);
        answer(1, P0, 3);
        assertThat(next).isCompletedWithValue(3L);
    }

    @Test
    void aStrongReadGivesUpOnALookupThatDoesNotAnswerWithinItsWaitAndTheReadsSharingItStillGetTheirAnswer() throws Exception {
        CommittedEnds bounded = new CommittedEnds(admin(), 1, Duration.ofMillis(10));
        CompletableFuture<Long> earlier = bounded.of(P1, Duration.ofMinutes(1)); // a lookup in flight: the next two share the next one
        CompletableFuture<Long> patient = bounded.of(P0, Duration.ofMinutes(1));
        CompletableFuture<Long> hasty = bounded.of(P0, Duration.ofMillis(50));

        assertThatThrownBy(() -> hasty.get(10, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(ApiProblem.class, problem -> {
            assertThat(problem.type()).endsWith(ProblemTypes.NOT_CAUGHT_UP);
            assertThat(problem.status().value()).isEqualTo(503);
        });
        assertThat(patient).isNotDone();
        answer(0, P1, 3);
        answer(1, P0, 10);
        assertThat(earlier).isCompletedWithValue(3L);
        assertThat(patient).as("the lookup it shared with the read that gave up").isCompletedWithValue(10L);
    }

    @Test
    void aStrongReadAskingForNoWaitIsStillGivenTheLeastWaitForItsLookup() throws Exception {
        CompletableFuture<Long> read = ends.of(P0, Duration.ZERO);
        Thread.sleep(100);
        assertThat(read).as("within the least wait (a minute here)").isNotDone();
        answer(0, P0, 5);
        assertThat(read).isCompletedWithValue(5L);
    }

    private void answer(int lookup, TopicPartition partition, long offset) {
        lookups.get(lookup).get(partition).complete(new ListOffsetsResultInfo(offset, -1, Optional.empty()));
    }

    @SuppressWarnings("unchecked")
    private Admin admin() {
        Admin admin = mock(Admin.class);
        when(admin.listOffsets(anyMap(), any(ListOffsetsOptions.class))).thenAnswer(invocation -> {
            Map<TopicPartition, OffsetSpec> asked = invocation.getArgument(0);
            Map<TopicPartition, KafkaFutureImpl<ListOffsetsResultInfo>> futures = new java.util.HashMap<>();
            asked.keySet().forEach(tp -> futures.put(tp, new KafkaFutureImpl<>()));
            lookups.add(futures);
            return new ListOffsetsResult(Map.copyOf(futures));
        });
        return admin;
    }
}
