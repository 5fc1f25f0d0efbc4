package io.logkv.query.resp;

import io.logkv.core.ConsistencyToken;
import io.logkv.query.security.CallerAuthentication;
import java.util.function.Function;

/**
 * What one Redis-protocol connection carries between its commands: the namespace it works in, the
 * consistency its reads ask for, the token of everything it has written and read (so that its reads see its
 * own writes, as a client carrying {@code KV-Token} over HTTP does), and who it authenticated as.
 * Commands of the connection read and change it from several threads, hence the locking.
 */
final class RespSession {

    private String namespace;
    private String consistency;
    /** The positions of everything the connection has written and read; EMPTY before its first answer. */
    private ConsistencyToken positions = ConsistencyToken.EMPTY;
    /** The text of {@link #positions} as last asked for, or null when it has changed since. */
    private String text;
    private CallerAuthentication caller;
    private final String remote;

    /**
     * @param namespace the namespace it starts in
     * @param remote    the address the connection comes from: the client it is counted as until it authenticates
     */
    RespSession(String namespace, String remote) {
        this.namespace = namespace;
        this.remote = remote;
    }

    /** Who the connection's commands are for, in quotas and bounds per client: its principal, else its address. */
    synchronized String client() {
        return caller != null ? caller.caller().name() : remote;
    }

    synchronized String namespace() {
        return namespace;
    }

    synchronized void namespace(String name) {
        this.namespace = name;
    }

    /** The consistency the connection's reads ask for; null: the API's default (session with a token, else eventual). */
    synchronized String consistency() {
        return consistency;
    }

    synchronized void consistency(String level) {
        this.consistency = level;
    }

    /** The positions the connection's token holds (EMPTY before its first answer). */
    synchronized ConsistencyToken positions() {
        return positions;
    }

    /**
     * The connection's token as text ({@code encoder} writes it, and is asked again only once the positions have
     * moved), or null before its first answer that carried one.
     */
    synchronized String token(Function<ConsistencyToken, String> encoder) {
        if (positions.isEmpty()) {
            return null;
        }
        if (text == null) {
            text = encoder.apply(positions);
        }
        return text;
    }

    /** Merges an answer's positions into the connection's token. */
    synchronized void merge(ConsistencyToken answered) {
        ConsistencyToken merged = positions.merge(answered);
        if (merged != positions && !merged.equals(positions)) {
            positions = merged;
            text = null;
        }
    }

    /** Who the connection authenticated as; null before {@code AUTH} (and always on an open node). */
    synchronized CallerAuthentication caller() {
        return caller;
    }

    /** Who the connection authenticated as; a {@code NOAUTH} error before {@code AUTH}. */
    CallerAuthentication authenticatedCaller() {
        CallerAuthentication authenticated = caller();
        if (authenticated == null) {
            throw new RespReplies.RespError("NOAUTH Authentication required: AUTH with an API key");
        }
        return authenticated;
    }

    synchronized void caller(CallerAuthentication authenticated) {
        this.caller = authenticated;
    }
}
