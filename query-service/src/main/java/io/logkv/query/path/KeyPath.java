package io.logkv.query.path;

import io.logkv.query.problem.ApiProblem;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;

/**
 * The namespace and the raw key segment of a key request's path; null for any other path.
 *
 * @param namespace the namespace, percent-decoded
 * @param rawKey    the key's path segment as it came off the wire (decoded strictly by {@link KeyPathSegment})
 */
public record KeyPath(String namespace, String rawKey) {

    /** Requests under this prefix may be key requests; everything else is another resource. */
    public static final String NAMESPACES = "/v1/namespaces/";
    private static final String KEYS = "keys/";

    /** Where {@link #of(HttpServletRequest)} keeps what it parsed, for the filters after it. */
    private static final String PARSED = KeyPath.class.getName();

    /** A request's parsed URI: its key path, or null when it is not a key request. */
    private record Parsed(String uri, KeyPath path) {
    }

    /**
     * The key path of a request, parsed once per request: the firewall, the authorization, the quotas and the key
     * endpoint each ask for it, and the answer is kept in a request attribute (for as long as the URI is the same).
     * A path outside {@link #NAMESPACES} (the actuator, every other resource) is answered at once and leaves no
     * attribute.
     */
    public static KeyPath of(HttpServletRequest request) {
        String uri = request.getRequestURI();
        if (!uri.startsWith(NAMESPACES)) {
            return null;
        }
        if (request.getAttribute(PARSED) instanceof Parsed parsed && parsed.uri().equals(uri)) {
            return parsed.path();
        }
        KeyPath path = of(uri);
        request.setAttribute(PARSED, new Parsed(uri, path));
        return path;
    }

    /** The key path of a raw request URI; null for any other path. */
    public static KeyPath of(String rawUri) {
        if (!rawUri.startsWith(NAMESPACES)) {
            return null;
        }
        int nsEnd = rawUri.indexOf('/', NAMESPACES.length());
        if (nsEnd <= NAMESPACES.length() || !rawUri.startsWith(KEYS, nsEnd + 1)) {
            return null;
        }
        int keyStart = nsEnd + 1 + KEYS.length();
        if (keyStart >= rawUri.length() || rawUri.indexOf('/', keyStart) >= 0) {
            return null;
        }
        String rawNamespace = rawUri.substring(NAMESPACES.length(), nsEnd);
        String namespace;
        try {
            namespace = new String(KeyPathSegment.decode(rawNamespace), StandardCharsets.UTF_8);
        } catch (ApiProblem malformed) {
            namespace = rawNamespace; // not a legal name either way: answered namespace-not-found
        }
        return new KeyPath(namespace, rawUri.substring(keyStart));
    }
}
