package io.logkv.query.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

/**
 * The JWTs a node has accepted, until they expire: a client sends the same token with every request, and
 * checking its signature and claims each time cost a GET more than the read itself (docs/performance.md).
 * Entries are found by the SHA-256 of the token, so that no comparison touches the token itself; an entry
 * is used only before the token's {@code exp}. Bounded: when full, expired entries go, and if none have,
 * everything does. Tokens that fail are not kept (each is checked again, and fails again).
 */
final class VerifiedJwts implements AuthenticationManager {

    static final int MAX_ENTRIES = 10_000;
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private final AuthenticationManager verifier;
    private final ConcurrentHashMap<ByteBuffer, CallerAuthentication> accepted = new ConcurrentHashMap<>();

    VerifiedJwts(AuthenticationManager verifier) {
        this.verifier = verifier;
    }

    @Override
    public Authentication authenticate(Authentication authentication) throws AuthenticationException {
        String token = ((BearerTokenAuthenticationToken) authentication).getToken();
        ByteBuffer key = ByteBuffer.wrap(SHA256.get().digest(token.getBytes(StandardCharsets.US_ASCII)));
        long now = System.currentTimeMillis();
        CallerAuthentication known = accepted.get(key);
        if (known != null && now < known.validUntilMs()) {
            return known;
        }
        Authentication verified = verifier.authenticate(authentication);
        if (verified instanceof CallerAuthentication caller) {
            if (accepted.size() >= MAX_ENTRIES) {
                accepted.values().removeIf(entry -> entry.validUntilMs() <= now);
                if (accepted.size() >= MAX_ENTRIES) {
                    accepted.clear();
                }
            }
            accepted.put(key, caller);
        }
        return verified;
    }
}
