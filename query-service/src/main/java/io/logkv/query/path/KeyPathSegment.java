package io.logkv.query.path;

import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a segment of a request path as it came off the wire (the {@code {key}} of a key request),
 * strictly: every {@code %XX} must be a hex pair and the bytes must be valid UTF-8. (Decoding by the
 * servlet container or router would silently turn malformed input into replacement characters, and so
 * into a different key.)
 */
public final class KeyPathSegment {

    private KeyPathSegment() {
    }

    /** The decoded segment, as UTF-8 bytes checked to be valid. */
    public static byte[] decode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw malformed();
                }
                int high = Character.digit(raw.charAt(i + 1), 16);
                int low = Character.digit(raw.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    throw malformed();
                }
                bytes.write(high << 4 | low);
                i += 2;
            } else if (c > 0xff) {
                throw malformed(); // the raw URI holds bytes; anything wider did not come off the wire
            } else {
                bytes.write(c);
            }
        }
        return requireUtf8(bytes.toByteArray());
    }

    /** The key, when its bytes are valid UTF-8 (as every key is); else {@code 400 bad-key}. */
    public static byte[] requireUtf8(byte[] key) {
        boolean ascii = true;
        for (byte b : key) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return key;
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key));
            return key;
        } catch (CharacterCodingException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_KEY, "the key is not valid UTF-8");
        }
    }

    private static ApiProblem malformed() {
        return ApiProblem.badRequest(ProblemTypes.BAD_KEY, "the key is not a well-formed percent-encoded path segment");
    }
}
