package io.logkv.query.problem;

import java.util.concurrent.CompletionException;

/** What failed inside a chain of {@code CompletableFuture}s, which wraps failures in {@link CompletionException}. */
public final class AsyncFailures {

    private AsyncFailures() {
    }

    /** The failure under any {@link CompletionException} wrappers. */
    public static Throwable cause(Throwable error) {
        while (error instanceof CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
