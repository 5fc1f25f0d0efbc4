package io.logkv.core;

import java.nio.charset.StandardCharsets;

/** Text or bytes as one segment of a request path: unreserved characters as they are, every other byte {@code %XX}. */
public final class PathSegments {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PathSegments() {
    }

    /** The text's UTF-8 bytes as a path segment. */
    public static String encode(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes as a path segment. */
    public static String encode(byte[] bytes) {
        StringBuilder encoded = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return encoded.toString();
    }
}
