package io.logkv.query.resp;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The HTTP path a key request would have had: what a command is forwarded to another node as. */
final class KeyPaths {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private KeyPaths() {
    }

    /** Bytes as one path segment: unreserved characters as they are, every other byte percent-encoded. */
    static String segment(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    /** {@code ?name=value&...} of parameters (empty for none). */
    static String query(Map<String, String> parameters) {
        if (parameters.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        parameters.forEach((name, value) -> out.append(out.isEmpty() ? '?' : '&').append(segment(name.getBytes(StandardCharsets.UTF_8)))
                .append('=').append(segment(value.getBytes(StandardCharsets.UTF_8))));
        return out.toString();
    }
}
