package io.logkv.core;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The way into a thread that alone may touch some object (a Kafka consumer, and what it feeds): other
 * threads queue commands, the owning thread runs them between two turns of its loop. Kafka consumers are
 * not thread-safe and block in {@code poll()}, so each queued command also wakes the owner ({@code wakeUp},
 * typically {@code consumer::wakeup}) to run it soon.
 *
 * <p>{@link #post} is fire-and-forget: what a command throws reaches the owning thread's loop. {@link
 * #submit} answers through a future instead, so a failed command never disturbs the loop.
 *
 * @param <T> what the owning thread hands each command
 */
public final class CommandQueue<T> {

    private final Queue<Consumer<T>> commands = new ConcurrentLinkedQueue<>();
    private final Runnable wakeUp;

    /** @param wakeUp interrupts the owning thread's wait (it then runs the commands); called on the caller's thread */
    public CommandQueue(Runnable wakeUp) {
        this.wakeUp = wakeUp;
    }

    /** Queues {@code command} for the owning thread; whatever it throws is thrown there, by {@link #runPending}. */
    public void post(Consumer<T> command) {
        commands.add(command);
        wakeUp.run();
    }

    /** Queues {@code command}; the answer completes once it has run on the owning thread, exceptionally if it threw. */
    public CompletableFuture<Void> submit(Consumer<T> command) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        post(target -> {
            try {
                command.accept(target);
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** Whether commands wait to run (the owning thread may have to prepare for them first). */
    public boolean hasPending() {
        return !commands.isEmpty();
    }

    /**
     * Runs the queued commands, oldest first, on the calling thread (the owning thread only), including those
     * queued while it runs. A command that throws stops the run there; the commands after it stay queued.
     */
    public void runPending(T target) {
        Consumer<T> command;
        while ((command = commands.poll()) != null) {
            command.accept(target);
        }
    }
}
