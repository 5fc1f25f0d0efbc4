package io.logkv.query.resp;

import io.logkv.query.security.CallerAuthentication;

/**
 * What one Redis-protocol connection carries between its commands: the namespace it works in, the
 * consistency its reads ask for, the token of everything it has written and read (so that its reads see its
 * own writes, as a client carrying {@code KV-Token} over HTTP does), and who it authenticated as.
 * Commands of the connection read and change it from several threads, hence the locking.
 */
final class RespSession {

    private String namespace;
    private String consistency;
    private String token;
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

    /** The connection's token, or null before its first answer that carried one. */
    synchronized String token() {
        return token;
    }

    synchronized void token(String merged) {
        this.token = merged;
    }

    /** Who the connection authenticated as; null before {@code AUTH} (and always on an open node). */
    synchronized CallerAuthentication caller() {
        return caller;
    }

    synchronized void caller(CallerAuthentication authenticated) {
        this.caller = authenticated;
    }
}
