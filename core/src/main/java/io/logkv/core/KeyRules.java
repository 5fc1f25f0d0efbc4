package io.logkv.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What a key may be: non-empty UTF-8 text of at most {@code maxKeyBytes} bytes. The key's UTF-8 bytes
 * are the Kafka record key, so they decide the partition and what compaction keeps.
 *
 * @param maxKeyBytes the longest key, in UTF-8 bytes
 */
public record KeyRules(int maxKeyBytes) {

    public static final int DEFAULT_MAX_KEY_BYTES = 1024;

    /** The UTF-8 bytes of a legal key; throws {@link IllegalKeyException} otherwise. */
    public byte[] encode(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalKeyException("the key is empty", false);
        }
        ByteBuffer bytes;
        try {
            bytes = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(key));
        } catch (CharacterCodingException e) {
            throw new IllegalKeyException("the key is not valid Unicode text", false);
        }
        if (bytes.remaining() > maxKeyBytes) {
            throw new IllegalKeyException("the key is " + bytes.remaining() + " bytes of UTF-8; the limit is " + maxKeyBytes, true);
        }
        byte[] out = new byte[bytes.remaining()];
        bytes.get(out);
        return out;
    }

    /**
     * Checks a key given as bytes that are already known to be valid UTF-8 (decoded strictly from a
     * request path, say), without turning them into a string and back.
     *
     * @return the same bytes
     */
    public byte[] check(byte[] utf8) {
        if (utf8.length == 0) {
            throw new IllegalKeyException("the key is empty", false);
        }
        if (utf8.length > maxKeyBytes) {
            throw new IllegalKeyException("the key is " + utf8.length + " bytes of UTF-8; the limit is " + maxKeyBytes, true);
        }
        return utf8;
    }

    /** A key that breaks the rules; {@code tooLong} tells a length problem from a content problem. */
    public static final class IllegalKeyException extends IllegalArgumentException {
        private final boolean tooLong;

        public IllegalKeyException(String message, boolean tooLong) {
            super(message);
            this.tooLong = tooLong;
        }

        public boolean tooLong() {
            return tooLong;
        }
    }
}
