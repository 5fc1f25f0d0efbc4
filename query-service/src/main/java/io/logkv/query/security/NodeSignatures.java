package io.logkv.query.security;

import io.logkv.core.ApiHeaders;
import io.logkv.query.config.NodeSecurityProperties;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The MAC a node puts on every request it sends another node, so that the receiver can tell a node's request
 * from a client's, and that nothing of it was changed on the way: {@value ApiHeaders#NODE_MAC}{@code : 2 <key id>
 * <epoch ms> <mac>}, the MAC an HMAC-SHA256 (base64url) with a key every node holds, over the method, the raw path
 * and query, the time, the internal headers ({@link ApiHeaders#NODE_ONLY}), the headers that change what the request
 * does ({@link #COVERED}: its conditions, idempotency key, content type and tokens), each with all its values as
 * received, and the SHA-256 of the body. A receiver accepts it only within {@code max-clock-skew} of its own clock,
 * so a captured request cannot be replayed later than that.
 *
 * <p>Version 1 ({@code <key id> <epoch ms> <mac>}, from nodes of an earlier version) covered the internal headers
 * only: a conditional write could be made unconditional on the way. It is still accepted, so that nodes can be
 * upgraded one at a time (they sign with it while {@code logkv.security.node.mac-version} is 1), and accepting it
 * opens nothing once no node signs with it: a request signed with version 2 cannot be turned into one of version 1
 * without the key, and a captured one expires with the clock skew.
 *
 * <p>One key signs ({@code logkv.security.node.signing-key-id}); every configured key verifies, so the shared
 * secret rotates without a window in which nodes refuse each other. Thread-safe.
 */
public final class NodeSignatures {

    private static final String ALGORITHM = "HmacSHA256";
    /** The headers besides the internal ones that a version 2 MAC covers: every one a node forwards that changes the answer. */
    static final java.util.List<String> COVERED = java.util.List.of(org.springframework.http.HttpHeaders.IF_MATCH,
            org.springframework.http.HttpHeaders.IF_NONE_MATCH, ApiHeaders.IDEMPOTENCY_KEY, org.springframework.http.HttpHeaders.CONTENT_TYPE,
            ApiHeaders.TOKEN);
    private static final String VERSION_2 = "2";

    private final String signingKeyId;
    private final Map<String, SecretKeySpec> keys;
    private final long maxSkewMs;
    private final int signingVersion;
    private final ThreadLocal<Map<String, Mac>> macs = ThreadLocal.withInitial(java.util.HashMap::new);

    public NodeSignatures(NodeSecurityProperties.NodeKeys settings) {
        if (!settings.keys().containsKey(settings.signingKeyId())) {
            throw new IllegalArgumentException("logkv.security.node.signing-key-id '" + settings.signingKeyId()
                    + "' is not among logkv.security.node.keys " + settings.keys().keySet());
        }
        this.keys = new java.util.HashMap<>();
        settings.keys().forEach((id, secret) -> {
            if (id.isBlank() || id.contains(" ")) {
                throw new IllegalArgumentException("a logkv.security.node.keys id has no spaces: '" + id + "'");
            }
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < 32) {
                throw new IllegalArgumentException("logkv.security.node.keys." + id + " must be at least 32 bytes");
            }
            keys.put(id, new SecretKeySpec(bytes, ALGORITHM));
        });
        this.signingKeyId = settings.signingKeyId();
        this.maxSkewMs = settings.maxClockSkew().toMillis();
        this.signingVersion = settings.macVersion();
    }

    /**
     * The {@value ApiHeaders#NODE_MAC} value of a request about to be sent with these headers (each as it will be
     * sent, by name in any case) and body.
     */
    public String sign(String method, String pathAndQuery, UnaryOperator<String> headers, byte[] body, long nowMs) {
        String mac = mac(signingVersion, signingKeyId, method, pathAndQuery, nowMs, headers, body);
        return (signingVersion == 2 ? VERSION_2 + " " : "") + signingKeyId + " " + nowMs + " " + mac;
    }

    /**
     * Why a received request's {@value ApiHeaders#NODE_MAC} does not hold, or null when it does.
     *
     * @param headers the request's headers by name: every value of a header, joined by {@code ", "} as received
     */
    public String refusal(String method, String pathAndQuery, UnaryOperator<String> headers, byte[] body, long nowMs) {
        String refusal = headerRefusal(headers, nowMs);
        if (refusal != null) {
            return refusal;
        }
        Parsed mac = Parsed.of(headers.apply(ApiHeaders.NODE_MAC));
        String expected = mac(mac.version(), mac.keyId(), method, pathAndQuery, mac.sentMs(), headers, body);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), mac.mac().getBytes(StandardCharsets.US_ASCII))) {
            return ApiHeaders.NODE_MAC + " does not match the request";
        }
        return null;
    }

    /**
     * Why a received request's {@value ApiHeaders#NODE_MAC} cannot hold, from the header alone (missing, naming no key
     * this node holds, or made outside the allowed clock skew), or null when only the MAC itself remains to be
     * checked: asked before a request's body is read, so that a client does not get to make this node buffer it.
     */
    public String headerRefusal(UnaryOperator<String> headers, long nowMs) {
        String header = headers.apply(ApiHeaders.NODE_MAC);
        if (header == null) {
            return "the request carries internal headers (" + String.join(", ", ApiHeaders.NODE_ONLY) + ") without a node's "
                    + ApiHeaders.NODE_MAC + "; only nodes send them";
        }
        Parsed mac = Parsed.of(header);
        if (mac == null || !keys.containsKey(mac.keyId())) {
            return ApiHeaders.NODE_MAC + " names no key this node holds";
        }
        if (mac.sentMs() == Long.MIN_VALUE) {
            return ApiHeaders.NODE_MAC + " has no time";
        }
        if (Math.abs(nowMs - mac.sentMs()) > maxSkewMs) {
            return ApiHeaders.NODE_MAC + " was made " + Duration.ofMillis(nowMs - mac.sentMs()) + " from now, beyond the allowed clock skew";
        }
        return null;
    }

    /** A {@value ApiHeaders#NODE_MAC} value taken apart; its time {@link Long#MIN_VALUE} when it is not a number. */
    private record Parsed(int version, String keyId, long sentMs, String mac) {

        /** The parts of {@code header}, or null when it has neither the form of version 1 nor that of version 2. */
        static Parsed of(String header) {
            String[] parts = header.strip().split(" ");
            int version = parts.length == 4 && parts[0].equals(VERSION_2) ? 2 : parts.length == 3 ? 1 : 0;
            if (version == 0) {
                return null;
            }
            int first = version == 2 ? 1 : 0;
            long sentMs;
            try {
                sentMs = Long.parseLong(parts[first + 1]);
            } catch (NumberFormatException e) {
                sentMs = Long.MIN_VALUE;
            }
            return new Parsed(version, parts[first], sentMs, parts[first + 2]);
        }
    }

    private String mac(int version, String keyId, String method, String pathAndQuery, long timeMs, UnaryOperator<String> headers,
                       byte[] body) {
        Mac mac = macs.get().computeIfAbsent(keyId, id -> {
            try {
                Mac created = Mac.getInstance(ALGORITHM);
                created.init(keys.get(id));
                return created;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HMAC-SHA256 is not available", e);
            }
        });
        StringBuilder signed = new StringBuilder(256).append("logkv-node-mac-").append(version).append('\n').append(method).append('\n')
                .append(pathAndQuery).append('\n').append(timeMs).append('\n');
        for (String name : ApiHeaders.NODE_ONLY) {
            if (!name.equals(ApiHeaders.NODE_MAC)) {
                String value = headers.apply(name);
                signed.append(value == null ? "" : value).append('\n');
            }
        }
        if (version == 2) {
            // Present or not, and with which values: a header added on the way changes the MAC as one changed does.
            for (String name : COVERED) {
                String value = headers.apply(name);
                signed.append(value == null ? "-" : "+" + value).append('\n');
            }
        }
        try {
            signed.append(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(signed.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
