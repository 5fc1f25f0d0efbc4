package io.logkv.query.resp;

import io.logkv.core.PathSegments;
import java.util.Map;

/** The HTTP path a key request would have had: what a command is forwarded to another node as. */
final class KeyPaths {

    private KeyPaths() {
    }

    /** Bytes as one path segment. */
    static String segment(byte[] bytes) {
        return PathSegments.encode(bytes);
    }

    /** {@code ?name=value&...} of parameters (empty for none). */
    static String query(Map<String, String> parameters) {
        if (parameters.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        parameters.forEach((name, value) -> out.append(out.isEmpty() ? '?' : '&').append(PathSegments.encode(name))
                .append('=').append(PathSegments.encode(value)));
        return out.toString();
    }
}
