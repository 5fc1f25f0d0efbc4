package io.logkv.query;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.logkv.query.security.ApiKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * The configuration of secured test nodes: one API key per role, an HS256 secret for JWTs, node keys and token
 * keys, as Spring arguments; and the credentials a test sends.
 */
public final class SecuredNodes {

    /** Roles, each with the grants of its API key and of its JWT. */
    static final Map<String, List<String>> ROLES = Map.of(
            "reader", List.of("read:sec-*"),
            "writer", List.of("write:sec-*"),
            "ns-admin", List.of("admin:sec-*"),
            "root", List.of("admin:*"),
            "outsider", List.of("read:other-*", "write:other-*", "admin:other-*"),
            "app", List.of("read:sec-*", "write:sec-*"));
    static final String JWT_SECRET = "a test secret for HS256 JWTs, 32 bytes or more";
    public static final String NODE_KEY = "the nodes' shared secret for forwarded requests";
    static final String TOKEN_KEY_1 = "the first key of consistency tokens, long enough";
    static final String TOKEN_KEY_2 = "the second key of consistency tokens, long enough";

    private SecuredNodes() {
    }

    /** The API key of a role. */
    public static String apiKey(String role) {
        return "lkv_test_" + role + "_0123456789abcdef";
    }

    /** Spring arguments of a secured node: every role's API key, the JWT secret, node keys and token key 1; then {@code extra}. */
    public static String[] args(String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--logkv.security.mode=secured",
                "--logkv.security.jwt.secret=" + JWT_SECRET,
                "--logkv.security.node.signing-key-id=n1",
                "--logkv.security.node.keys.n1=" + NODE_KEY));
        if (List.of(extra).stream().noneMatch(arg -> arg.startsWith("--logkv.security.tokens.keys") || arg.startsWith("--logkv.security.tokens.signing"))) {
            args.addAll(List.of("--logkv.security.tokens.signing-key-id=t1", "--logkv.security.tokens.keys.t1=" + TOKEN_KEY_1));
        }
        int i = 0;
        for (Map.Entry<String, List<String>> role : ROLES.entrySet()) {
            args.add("--logkv.security.api-keys[" + i + "].name=" + role.getKey());
            args.add("--logkv.security.api-keys[" + i + "].sha256=" + ApiKeys.digestOf(apiKey(role.getKey())));
            args.add("--logkv.security.api-keys[" + i + "].grants=" + String.join(",", role.getValue()));
            i++;
        }
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** A JWT for a role, valid for {@code validity} from now (negative: expired), signed with {@code secret}. */
    static String jwt(String role, Duration validity, String secret) {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(role + "@jwt")
                .issueTime(Date.from(now.minusSeconds(120)))
                .expirationTime(Date.from(now.plus(validity)))
                .claim("logkv_grants", ROLES.get(role))
                .build();
        return sign(claims, secret);
    }

    /** A valid JWT for a role. */
    public static String jwt(String role) {
        return jwt(role, Duration.ofMinutes(10), JWT_SECRET);
    }

    static String sign(JWTClaimsSet claims, String secret) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
