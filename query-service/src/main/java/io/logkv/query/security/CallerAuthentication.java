package io.logkv.query.security;

import java.util.List;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * An authenticated {@link Caller}: a client that presented an API key or a JWT, or the caller a node forwarded a
 * request for. Built once per API key (they are looked up, not rebuilt, on every request).
 */
public final class CallerAuthentication extends AbstractAuthenticationToken {

    /** The authority of requests that a node signed: only those reach the internal endpoints. */
    static final GrantedAuthority NODE = new SimpleGrantedAuthority("NODE");

    private final Caller caller;
    private final String forwardedBy;
    private final long validUntilMs;

    private CallerAuthentication(Caller caller, String forwardedBy, long validUntilMs) {
        super(forwardedBy == null ? List.of() : List.of(NODE));
        this.caller = caller;
        this.forwardedBy = forwardedBy;
        this.validUntilMs = validUntilMs;
        setAuthenticated(true);
    }

    /** A client that authenticated itself with credentials that do not expire (an API key). */
    static CallerAuthentication of(Caller caller) {
        return new CallerAuthentication(caller, null, Long.MAX_VALUE);
    }

    /** A client that authenticated itself with credentials valid until {@code validUntilMs} (a JWT's {@code exp}). */
    static CallerAuthentication until(Caller caller, long validUntilMs) {
        return new CallerAuthentication(caller, null, validUntilMs);
    }

    /** A request a node signed, for {@code caller} (the node itself when it sent none). */
    static CallerAuthentication forwarded(Caller caller, String nodeId) {
        return new CallerAuthentication(caller, nodeId, Long.MAX_VALUE);
    }

    /** Until when the credentials it was made from hold, in epoch milliseconds. */
    long validUntilMs() {
        return validUntilMs;
    }

    public Caller caller() {
        return caller;
    }

    /** The node that signed the request, or null for a client's own request. */
    public String forwardedBy() {
        return forwardedBy;
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return caller.name();
    }

    @Override
    public String getName() {
        return caller.name();
    }
}
