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
 * from a client's: {@value ApiHeaders#NODE_MAC}{@code : <key id> <epoch ms> <mac>}, the MAC an HMAC-SHA256 (base64url)
 * with a key every node holds, over the method, the raw path and query, the time, the internal headers
 * ({@link ApiHeaders#NODE_ONLY}) and the SHA-256 of the body. A receiver accepts it only within
 * {@code max-clock-skew} of its own clock, so a captured request cannot be replayed later than that.
 *
 * <p>One key signs ({@code logkv.security.node.signing-key-id}); every configured key verifies, so the shared
 * secret rotates without a window in which nodes refuse each other. Thread-safe.
 */
public final class NodeSignatures {

    private static final String ALGORITHM = "HmacSHA256";

    private final String signingKeyId;
    private final Map<String, SecretKeySpec> keys;
    private final long maxSkewMs;
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
    }

    /** The {@value ApiHeaders#NODE_MAC} value of a request about to be sent with these headers and body. */
    public String sign(String method, String pathAndQuery, UnaryOperator<String> headers, byte[] body, long nowMs) {
        return signingKeyId + " " + nowMs + " " + mac(signingKeyId, method, pathAndQuery, nowMs, headers, body);
    }

    /**
     * Why a received request's {@value ApiHeaders#NODE_MAC} does not hold, or null when it does.
     *
     * @param headers the request's headers by name
     */
    public String refusal(String method, String pathAndQuery, UnaryOperator<String> headers, byte[] body, long nowMs) {
        String refusal = headerRefusal(headers, nowMs);
        if (refusal != null) {
            return refusal;
        }
        String[] parts = headers.apply(ApiHeaders.NODE_MAC).strip().split(" ");
        long sentMs = Long.parseLong(parts[1]);
        String expected = mac(parts[0], method, pathAndQuery, sentMs, headers, body);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), parts[2].getBytes(StandardCharsets.US_ASCII))) {
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
        String[] parts = header.strip().split(" ");
        if (parts.length != 3 || !keys.containsKey(parts[0])) {
            return ApiHeaders.NODE_MAC + " names no key this node holds";
        }
        long sentMs;
        try {
            sentMs = Long.parseLong(parts[1]);
        } catch (NumberFormatException e) {
            return ApiHeaders.NODE_MAC + " has no time";
        }
        if (Math.abs(nowMs - sentMs) > maxSkewMs) {
            return ApiHeaders.NODE_MAC + " was made " + Duration.ofMillis(nowMs - sentMs) + " from now, beyond the allowed clock skew";
        }
        return null;
    }

    private String mac(String keyId, String method, String pathAndQuery, long timeMs, UnaryOperator<String> headers, byte[] body) {
        Mac mac = macs.get().computeIfAbsent(keyId, id -> {
            try {
                Mac created = Mac.getInstance(ALGORITHM);
                created.init(keys.get(id));
                return created;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HMAC-SHA256 is not available", e);
            }
        });
        StringBuilder signed = new StringBuilder(256).append("logkv-node-mac-1\n").append(method).append('\n')
                .append(pathAndQuery).append('\n').append(timeMs).append('\n');
        for (String name : ApiHeaders.NODE_ONLY) {
            if (!name.equals(ApiHeaders.NODE_MAC)) {
                String value = headers.apply(name);
                signed.append(value == null ? "" : value).append('\n');
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
