package io.logkv.query.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.security.*} properties: who may do what, how nodes trust each other, signed tokens (ADR 0014).
 *
 * @param mode     {@code secured} (the default): every request but the health probes and the API document
 *                 needs credentials, nodes sign what they forward, tokens are signed, and a node refuses to
 *                 start without all of that configured; {@code open}: anyone may do anything
 *                 ({@code bin/logkv local}), which the node logs at start
 * @param apiKeys  callers known by an API key ({@code Authorization: ApiKey <key>})
 * @param jwt      callers known by a JWT ({@code Authorization: Bearer <jwt>})
 * @param node     the keys nodes sign forwarded requests with
 * @param tokens   the keys consistency tokens are signed with
 */
public record NodeSecurityProperties(
        @DefaultValue("secured") SecurityMode mode,
        List<ApiKey> apiKeys,
        @DefaultValue Jwt jwt,
        @DefaultValue NodeKeys node,
        @DefaultValue TokenKeys tokens) {

    public NodeSecurityProperties {
        apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
    }

    /** Whether a node checks who calls it. */
    public enum SecurityMode { SECURED, OPEN }

    /**
     * One caller known by an API key.
     *
     * @param name   the caller's name (the principal, in logs and in per-client limits)
     * @param sha256 the SHA-256 of the key, in hex: the node never holds the key itself
     * @param grants what the caller may do: {@code <right>:<namespace pattern>}, rights {@code read}, {@code write},
     *               {@code admin}, patterns of namespace characters and {@code *} ({@code read:orders-*}, {@code admin:*})
     */
    public record ApiKey(String name, String sha256, List<String> grants) {

        public ApiKey {
            grants = grants == null ? List.of() : List.copyOf(grants);
        }
    }

    /**
     * Callers known by a JWT, checked by Spring Security's OAuth2 resource server. Name one source of keys.
     *
     * @param issuerUri         the issuer: its keys are found through its OpenID configuration, and {@code iss} must match
     * @param jwkSetUri         a JWK set to verify signatures with
     * @param publicKeyLocation an RSA public key (PEM, X.509) to verify RS256 signatures with ({@code file:...}, {@code classpath:...})
     * @param secret            a shared secret (at least 32 bytes) to verify HS256 signatures with
     * @param audiences         when not empty, {@code aud} must name one of these
     * @param grantsClaim       the claim that holds the caller's grants: an array of {@code <right>:<pattern>} strings,
     *                          or one string of them separated by spaces
     * @param principalClaim    the claim that names the caller
     */
    public record Jwt(
            @DefaultValue("") String issuerUri,
            @DefaultValue("") String jwkSetUri,
            @DefaultValue("") String publicKeyLocation,
            @DefaultValue("") String secret,
            List<String> audiences,
            @DefaultValue("logkv_grants") String grantsClaim,
            @DefaultValue("sub") String principalClaim) {

        public Jwt {
            audiences = audiences == null ? List.of() : List.copyOf(audiences);
        }

        /** Whether a source of keys is configured. */
        public boolean configured() {
            return !issuerUri.isBlank() || !jwkSetUri.isBlank() || !publicKeyLocation.isBlank() || !secret.isBlank();
        }
    }

    /**
     * The secrets nodes sign the requests they forward to each other with (HMAC-SHA256 over the method, the path,
     * the time and a digest of the body). Every node holds the same keys.
     *
     * @param signingKeyId  the key this node signs with
     * @param keys          every key a signature is accepted from, by id (each at least 32 bytes)
     * @param maxClockSkew  how far a forwarded request's time may be from this node's clock
     * @param macVersion    the MAC this node signs with: 2 (the default) also covers the request's conditions,
     *                      idempotency key, content type and tokens; 1 only while nodes of an earlier version, which
     *                      accept no other, are still running (a rolling upgrade). Both are always accepted.
     */
    public record NodeKeys(
            @DefaultValue("") String signingKeyId,
            Map<String, String> keys,
            @DefaultValue("30s") Duration maxClockSkew,
            @DefaultValue("2") int macVersion) {

        public NodeKeys {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
            if (macVersion != 1 && macVersion != 2) {
                throw new IllegalArgumentException("logkv.security.node.mac-version is 1 or 2, not " + macVersion);
            }
        }

        public boolean configured() {
            return !keys.isEmpty();
        }
    }

    /**
     * The keys of signed consistency tokens. Every node holds the same keys.
     *
     * @param signingKeyId         the key new tokens are signed with
     * @param keys                 every key a token is accepted from, by id (each at least 32 bytes)
     * @param acceptUnsignedIngest accept unsigned tokens that hold only ingest positions of the namespace read
     *                             (the tokens {@code IngestTokens} makes for streaming applications)
     */
    public record TokenKeys(
            @DefaultValue("") String signingKeyId,
            Map<String, String> keys,
            @DefaultValue("false") boolean acceptUnsignedIngest) {

        public TokenKeys {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
        }

        public boolean configured() {
            return !keys.isEmpty();
        }
    }
}
