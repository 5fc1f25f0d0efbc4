package io.logkv.client.http;

import io.logkv.core.ConsistencyToken;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A sequence of requests that sees its own writes: every request carries the session's token, and the
 * token of every answer is merged into it, so a read (session consistency by default) reflects every write
 * and read the session made before, on whichever node answers it. Thread-safe: threads that share a
 * session share what it has seen. Made by {@link LogKvClient#session()}.
 */
public final class LogKvSession extends KeyValueOperations {

    private final LogKvClient.Engine engine;
    private final AtomicReference<ConsistencyToken> token;

    LogKvSession(LogKvClient.Engine engine, String startToken) {
        this.engine = engine;
        this.token = new AtomicReference<>(startToken == null ? ConsistencyToken.EMPTY : ConsistencyToken.decode(startToken));
    }

    /** The session's token: hand it to another process to continue the session there. */
    public String currentToken() {
        return token.get().encode();
    }

    @Override
    LogKvClient.Engine engine() {
        return engine;
    }

    @Override
    Consistency defaultConsistency() {
        return Consistency.SESSION;
    }

    @Override
    String token() {
        ConsistencyToken current = token.get();
        return current.isEmpty() ? null : current.encode();
    }

    @Override
    void observed(String answered) {
        ConsistencyToken seen = ConsistencyToken.decode(answered);
        token.updateAndGet(current -> current.merge(seen));
    }
}
