package io.logkv.query.api;

import java.util.concurrent.CompletionException;

/** What failed inside a chain of {@code CompletableFuture}s, which wraps failures in {@link CompletionException}. */
final class AsyncFailures {

    private AsyncFailures() {
    }

    /** The failure under any {@link CompletionException} wrappers. */
    static Throwable cause(Throwable error) {
        while (error instanceof CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
