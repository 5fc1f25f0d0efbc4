package io.logkv.client.http;

import io.logkv.core.ConsistencyToken;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A sequence of requests that sees its own writes: every request carries the session's tokens, and the
 * token of every answer joins them, so a read (session consistency by default) reflects every write
 * and read the session made before, on whichever node answers it. Thread-safe: threads that share a
 * session share what it has seen. Made by {@link LogKvClient#session()}.
 *
 * <p>The session keeps tokens as the nodes wrote them, never one of its own making: a node that signs its
 * tokens honours only tokens it signed. A token whose positions another held token covers is dropped, so the
 * session holds one token, or a few while threads' answers overlap (an answer covers the tokens its request
 * carried, so the next answer folds them into one again).
 */
public final class LogKvSession extends KeyValueOperations {

    private final LogKvClient.Engine engine;
    private final AtomicReference<List<Held>> tokens;

    LogKvSession(LogKvClient.Engine engine, String startToken) {
        this.engine = engine;
        this.tokens = new AtomicReference<>(startToken == null ? List.of() : with(List.of(), startToken));
    }

    /** The session's tokens, as one {@code KV-Token} value: hand it to another process to continue the session there. */
    public String currentToken() {
        String joined = token();
        return joined == null ? "" : joined;
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
        List<Held> held = tokens.get();
        if (held.isEmpty()) {
            return null;
        }
        return String.join(", ", held.stream().map(Held::text).toList());
    }

    @Override
    void observed(String answered) {
        tokens.updateAndGet(held -> with(held, answered));
    }

    /** {@code held} with the tokens of a {@code KV-Token} value added, and those another covers dropped. */
    private static List<Held> with(List<Held> held, String value) {
        List<Held> result = new ArrayList<>(held);
        for (String part : value.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            Held next = new Held(part.strip(), ConsistencyToken.decode(part));
            if (result.stream().anyMatch(existing -> existing.positions().covers(next.positions())
                    && !next.positions().covers(existing.positions()))) {
                continue;
            }
            result.removeIf(existing -> next.positions().covers(existing.positions()));
            result.add(next);
        }
        return List.copyOf(result);
    }

    /** A token as a node wrote it, and the positions it names. */
    private record Held(String text, ConsistencyToken positions) {
    }
}
