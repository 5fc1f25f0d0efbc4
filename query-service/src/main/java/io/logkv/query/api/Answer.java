package io.logkv.query.api;

import java.util.concurrent.CompletableFuture;

/**
 * A handler's answer that is often known at once: a read whose replica has already applied what it needs
 * completes before the handler returns. {@link AnswerReturnValueHandler} writes such an answer on the
 * request's own thread, and only an answer still pending takes the asynchronous servlet path (which
 * releases the thread while it waits, at the cost of a second dispatch).
 *
 * @param future the answer, completed or not
 */
public record Answer<T>(CompletableFuture<T> future) {

    public static <T> Answer<T> of(CompletableFuture<T> future) {
        return new Answer<>(future);
    }
}
