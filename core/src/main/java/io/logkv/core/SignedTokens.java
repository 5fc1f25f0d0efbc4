package io.logkv.core;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Consistency tokens a node vouches for: each carries a MAC, so a client can hand back only positions some
 * node gave it, never positions it made up (which would hold its reads waiting for a future that may not
 * come). One key signs; every configured key verifies, so keys rotate without breaking live sessions:
 * add the new key everywhere, then make it the signing key, then drop the old one once its tokens are gone.
 *
 * <p>The signed text form (format 2) is URL-safe base64 of:
 * <pre>
 *   byte      format (2)
 *   byte      key id length n (1 to 32)
 *   n bytes   key id, ASCII
 *   ...       the entry count and entries, as in format 1 ({@link ConsistencyToken})
 *   16 bytes  HMAC-SHA256 of every byte before it, with the key named, truncated to 128 bits
 * </pre>
 * Thread-safe: each thread keeps its own {@link Mac} per key.
 */
public final class SignedTokens {

    /** Bytes of the MAC at the end of a signed token. */
    public static final int MAC_BYTES = 16;
    /** The shortest key accepted, in bytes. */
    public static final int MIN_KEY_BYTES = 32;
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,32}");
    private static final String ALGORITHM = "HmacSHA256";

    private final String signingKeyId;
    private final List<String> keyIds;
    private final List<SecretKeySpec> keys;
    private final byte[][] keyIdBytes;
    private final ThreadLocal<Mac[]> macs;

    /**
     * @param signingKeyId the id of the key that signs new tokens; one of {@code keys}
     * @param keys         every key that verifies tokens, by id (ids of 1 to 32 of {@code A-Z a-z 0-9 . _ -};
     *                     keys of at least {@value #MIN_KEY_BYTES} bytes)
     */
    public SignedTokens(String signingKeyId, Map<String, byte[]> keys) {
        if (!keys.containsKey(signingKeyId)) {
            throw new IllegalArgumentException("the signing key '" + signingKeyId + "' is not among the keys " + keys.keySet());
        }
        Map<String, byte[]> ordered = new LinkedHashMap<>(keys);
        this.keyIds = List.copyOf(ordered.keySet());
        this.keys = ordered.entrySet().stream().map(entry -> {
            if (!KEY_ID.matcher(entry.getKey()).matches()) {
                throw new IllegalArgumentException("a key id is 1 to 32 of A-Z a-z 0-9 . _ -, not '" + entry.getKey() + "'");
            }
            if (entry.getValue().length < MIN_KEY_BYTES) {
                throw new IllegalArgumentException("the key '" + entry.getKey() + "' is shorter than " + MIN_KEY_BYTES + " bytes");
            }
            return new SecretKeySpec(entry.getValue(), ALGORITHM);
        }).toList();
        this.keyIdBytes = keyIds.stream().map(id -> id.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
        this.signingKeyId = signingKeyId;
        this.macs = ThreadLocal.withInitial(() -> new Mac[this.keys.size()]);
    }

    /** The id of the key that signs. */
    public String signingKeyId() {
        return signingKeyId;
    }

    /** The token's signed text form, signed with the signing key. */
    public String sign(ConsistencyToken token) {
        int key = keyIds.indexOf(signingKeyId);
        byte[] id = keyIdBytes[key];
        ByteArrayOutputStream out = new ByteArrayOutputStream(2 + id.length + 8 + MAC_BYTES);
        out.write(ConsistencyToken.FORMAT_SIGNED);
        out.write(id.length);
        out.write(id, 0, id.length);
        token.writePayload(out);
        Mac mac = mac(key);
        byte[] unsigned = out.toByteArray();
        mac.update(unsigned);
        byte[] full = mac.doFinal();
        byte[] signed = java.util.Arrays.copyOf(unsigned, unsigned.length + MAC_BYTES);
        System.arraycopy(full, 0, signed, unsigned.length, MAC_BYTES);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(signed);
    }

    /**
     * The positions of a token this node or another holding the same keys signed.
     *
     * @throws MalformedTokenException when it is not a signed token, names a key not configured here, or its
     *                                 MAC does not match its content (forged or altered)
     */
    public ConsistencyToken verify(String text) {
        byte[] bytes = ConsistencyToken.bytes(text);
        if (bytes.length == 0 || bytes[0] != ConsistencyToken.FORMAT_SIGNED) {
            throw new MalformedTokenException("this node accepts only signed tokens; an unsigned token is not one it gave");
        }
        if (bytes.length < 3 + MAC_BYTES) {
            throw new MalformedTokenException("truncated token");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - MAC_BYTES);
        in.get();
        String keyId = skipKeyId(in);
        int key = keyIds.indexOf(keyId);
        if (key < 0) {
            throw new MalformedTokenException("the token is signed with a key this node does not hold ('" + keyId + "'); it was rotated out");
        }
        Mac mac = mac(key);
        mac.update(bytes, 0, bytes.length - MAC_BYTES);
        byte[] expected = mac.doFinal();
        byte[] presented = java.util.Arrays.copyOfRange(bytes, bytes.length - MAC_BYTES, bytes.length);
        if (!MessageDigest.isEqual(java.util.Arrays.copyOf(expected, MAC_BYTES), presented)) {
            throw new MalformedTokenException("the token's MAC does not match its content: it was forged or altered");
        }
        return ConsistencyToken.readPayload(in);
    }

    /** Whether a token's text is of the signed form (its MAC unchecked); false for anything else, malformed included. */
    public static boolean isSigned(String text) {
        try {
            byte[] bytes = ConsistencyToken.bytes(text);
            return bytes.length > 0 && bytes[0] == ConsistencyToken.FORMAT_SIGNED;
        } catch (MalformedTokenException e) {
            return false;
        }
    }

    /** Reads a signed token's key id at {@code in}'s position, leaving it at the payload. */
    static String skipKeyId(ByteBuffer in) {
        int length = in.get() & 0xff;
        if (length < 1 || length > 32 || in.remaining() < length) {
            throw new MalformedTokenException("a signed token's key id is 1 to 32 bytes");
        }
        byte[] id = new byte[length];
        in.get(id);
        return new String(id, StandardCharsets.US_ASCII);
    }

    private Mac mac(int key) {
        Mac[] perThread = macs.get();
        Mac mac = perThread[key];
        if (mac == null) {
            try {
                mac = Mac.getInstance(ALGORITHM);
                mac.init(keys.get(key));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HMAC-SHA256 is not available", e);
            }
            perThread[key] = mac;
        }
        return mac;
    }
}
