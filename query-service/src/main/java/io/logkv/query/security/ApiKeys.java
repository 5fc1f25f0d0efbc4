package io.logkv.query.security;

import io.logkv.query.config.NodeSecurityProperties;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * Callers known by an API key, sent as {@code Authorization: ApiKey <key>}. The node holds only each key's
 * SHA-256 (logkv.security.api-keys[].sha256): a presented key is hashed once and its digest compared with
 * every configured one in constant time ({@link MessageDigest#isEqual}), so neither a configuration leak nor
 * the time an answer takes gives a key away. Each key's {@link CallerAuthentication} is built once, at start.
 *
 * <p>Plugged into Spring Security as the {@link AuthenticationProvider} that checks a key, behind an
 * {@code AuthenticationFilter} whose {@link AuthenticationConverter} ({@link #presentedKeys()}) reads the header.
 * (The converter is not a bean of its own: Spring Security would take it for the bearer token filter's.)
 */
public final class ApiKeys implements AuthenticationProvider {

    /** The scheme of the {@code Authorization} header that carries an API key. */
    public static final String SCHEME = "ApiKey";
    private static final String PREFIX = SCHEME + " ";
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(ApiKeys::sha256);

    private final List<Entry> entries;

    public ApiKeys(List<NodeSecurityProperties.ApiKey> configured) {
        List<Entry> built = new ArrayList<>(configured.size());
        for (NodeSecurityProperties.ApiKey key : configured) {
            if (key.name() == null || key.name().isBlank()) {
                throw new IllegalArgumentException("every logkv.security.api-keys entry needs a name");
            }
            byte[] digest;
            try {
                digest = HexFormat.of().parseHex(key.sha256() == null ? "" : key.sha256().strip());
            } catch (IllegalArgumentException e) {
                digest = new byte[0];
            }
            if (digest.length != 32) {
                throw new IllegalArgumentException("logkv.security.api-keys '" + key.name() + "': sha256 must be the key's SHA-256 in hex"
                        + " (64 hex digits; printf %s \"$KEY\" | sha256sum)");
            }
            Grants grants;
            try {
                grants = Grants.parse(key.grants());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("logkv.security.api-keys '" + key.name() + "': " + e.getMessage(), e);
            }
            built.add(new Entry(digest, CallerAuthentication.of(new Caller(key.name(), grants))));
        }
        this.entries = List.copyOf(built);
    }

    /** The SHA-256 of a key in hex, as logkv.security.api-keys[].sha256 holds it. */
    public static String digestOf(String key) {
        return HexFormat.of().formatHex(SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    /** Reads the key a request presents, unchecked; null when it presents none (another scheme may apply). */
    public static AuthenticationConverter presentedKeys() {
        return ApiKeys::presented;
    }

    private static Authentication presented(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return null;
        }
        return new PresentedKey(header.substring(PREFIX.length()).strip());
    }

    /**
     * The caller a key authenticates, for protocols other than HTTP (the Redis-protocol endpoint's {@code AUTH});
     * null when no configured key is {@code key}.
     */
    public CallerAuthentication callerOf(String key) {
        try {
            return (CallerAuthentication) authenticate(new PresentedKey(key));
        } catch (BadCredentialsException unknown) {
            return null;
        }
    }

    @Override
    public Authentication authenticate(Authentication authentication) throws AuthenticationException {
        byte[] digest = SHA256.get().digest(((PresentedKey) authentication).key.getBytes(StandardCharsets.UTF_8));
        CallerAuthentication found = null;
        for (Entry entry : entries) {
            // Every entry is compared, whichever matches, so the time taken says nothing about the keys.
            if (MessageDigest.isEqual(entry.digest(), digest)) {
                found = entry.caller();
            }
        }
        if (found == null) {
            throw new BadCredentialsException("the API key is not one this node knows");
        }
        return found;
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return PresentedKey.class.isAssignableFrom(authentication);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Entry(byte[] digest, CallerAuthentication caller) {
    }

    /** A key as presented, before it is checked. */
    private static final class PresentedKey extends AbstractAuthenticationToken {

        private final transient String key;

        PresentedKey(String key) {
            super(List.of());
            this.key = key;
        }

        @Override
        public Object getCredentials() {
            return key;
        }

        @Override
        public Object getPrincipal() {
            return "";
        }
    }
}
