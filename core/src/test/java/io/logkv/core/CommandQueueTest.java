package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Commands run on the owning thread only, in the order they were queued, and each queued command wakes that thread. */
class CommandQueueTest {

    private final AtomicInteger wakeUps = new AtomicInteger();
    private final CommandQueue<List<String>> queue = new CommandQueue<>(wakeUps::incrementAndGet);

    @Test
    void nothingRunsUntilTheOwningThreadRunsThePendingCommandsThenAllRunInOrder() {
        List<String> target = new ArrayList<>();
        queue.post(t -> t.add("first"));
        CompletableFuture<Void> second = queue.submit(t -> t.add("second"));
        assertThat(target).isEmpty();
        assertThat(second).isNotDone();

        queue.runPending(target);

        assertThat(target).containsExactly("first", "second");
        assertThat(second).isCompleted();
    }

    @Test
    void everyQueuedCommandWakesTheOwningThread() {
        queue.post(t -> { });
        queue.submit(t -> { });
        assertThat(wakeUps).hasValue(2);
    }

    @Test
    void commandsQueuedByACommandRunInTheSameTurn() {
        List<String> target = new ArrayList<>();
        queue.post(t -> {
            t.add("outer");
            queue.post(inner -> inner.add("inner"));
        });
        queue.runPending(target);
        assertThat(target).containsExactly("outer", "inner");
    }

    @Test
    void aSubmittedCommandThatFailsAnswersItsFutureAndTheOthersStillRun() {
        List<String> target = new ArrayList<>();
        CompletableFuture<Void> failed = queue.submit(t -> {
            throw new IllegalArgumentException("no");
        });
        queue.post(t -> t.add("after"));

        queue.runPending(target);

        assertThat(failed).isCompletedExceptionally();
        assertThatThrownBy(failed::join).hasCauseInstanceOf(IllegalArgumentException.class);
        assertThat(target).containsExactly("after");
    }

    @Test
    void aPostedCommandThatFailsThrowsOnTheOwningThreadAndLeavesTheRestQueued() {
        List<String> target = new ArrayList<>();
        queue.post(t -> {
            throw new IllegalStateException("loop sees this");
        });
        queue.post(t -> t.add("later"));

        assertThatThrownBy(() -> queue.runPending(target)).isInstanceOf(IllegalStateException.class);
        assertThat(target).isEmpty();

        queue.runPending(target);
        assertThat(target).containsExactly("later");
    }
}
