package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PositionWaitsTest {

    private final AtomicInteger waiting = new AtomicInteger();
    private final PositionWaits catchUp = new PositionWaits(10, waiting, 2, IllegalStateException::new);

    @Test
    void aPositionAlreadyAppliedNeedsNoWait() {
        assertThat(catchUp.await(10, Duration.ofSeconds(5))).isCompletedWithValue(true);
        assertThat(waiting).hasValue(0);
    }

    @Test
    void waitersCompleteWhenTheReplicaReachesTheirPosition() {
        CompletableFuture<Boolean> near = catchUp.await(11, Duration.ofSeconds(5));
        CompletableFuture<Boolean> far = catchUp.await(20, Duration.ofSeconds(5));

        catchUp.advance(15);

        assertThat(near).isCompletedWithValue(true);
        assertThat(far).isNotDone();
        catchUp.advance(20);
        assertThat(far).isCompletedWithValue(true);
        assertThat(waiting).hasValue(0);
    }

    @Test
    void aWaitEndsWithFalseWhenItsBoundPasses() throws Exception {
        CompletableFuture<Boolean> waiter = catchUp.await(99, Duration.ofMillis(50));
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(waiting).hasValue(0);
    }

    @Test
    void theNumberOfWaitersIsBounded() {
        catchUp.await(50, Duration.ofSeconds(5));
        catchUp.await(51, Duration.ofSeconds(5));
        assertThatThrownBy(() -> catchUp.await(52, Duration.ofSeconds(5))).isInstanceOf(IllegalStateException.class);
        catchUp.cancelAll();
        assertThat(waiting).hasValue(0);
    }
}
