package io.logkv.query.security;

import io.logkv.query.path.KeyPath;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.web.util.UriUtils;

/**
 * The right each request needs, decided from its method and path before anything serves it:
 * <pre>
 *   GET/HEAD /v1/namespaces/{ns}/keys/{key}        read on ns
 *   PUT/DELETE /v1/namespaces/{ns}/keys/{key}      write on ns
 *   /v1/namespaces/{ns}/batch-get, /keys, /watch   read on ns
 *   GET /v1/namespaces/{ns}                        any right on ns (seeing it)
 *   PUT/DELETE /v1/namespaces/{ns}                 admin on ns
 *   GET /v1/namespaces                             any caller (the list holds what it may see)
 *   /v1/admin/namespaces/{ns}/**                   admin on ns
 *   /v1/admin/**, /actuator/**                     admin on every namespace (admin:*)
 *   /v1/internal/**                                a node's signed request
 * </pre>
 * The health probes and the API document need nothing (matched before this). A caller's grants are those it
 * authenticated with, or, for a forwarded request, those of the client the node forwarded it for.
 */
public final class RequestRights implements AuthorizationManager<RequestAuthorizationContext> {

    private static final AuthorizationDecision GRANTED = new AuthorizationDecision(true);
    private static final AuthorizationDecision DENIED = new AuthorizationDecision(false);
    private static final String NAMESPACES = "/v1/namespaces";
    private static final String ADMIN_NAMESPACES = "/v1/admin/namespaces/";

    @Override
    public AuthorizationDecision authorize(Supplier<? extends Authentication> authentication, RequestAuthorizationContext context) {
        if (!(authentication.get() instanceof CallerAuthentication caller)) {
            return DENIED;
        }
        return allows(caller, context.getRequest()) ? GRANTED : DENIED;
    }

    static boolean allows(CallerAuthentication authentication, HttpServletRequest request) {
        Grants grants = authentication.caller().grants();
        String path = request.getRequestURI();
        String method = request.getMethod();
        boolean reading = method.equals("GET") || method.equals("HEAD");
        KeyPath key = KeyPath.of(request);
        if (key != null) {
            return reading ? grants.allows(key.namespace(), Right.READ)
                    : method.equals("PUT") || method.equals("DELETE") ? grants.allows(key.namespace(), Right.WRITE)
                    : grants.allowsAny(key.namespace());
        }
        if (path.startsWith("/v1/internal/")) {
            return authentication.forwardedBy() != null;
        }
        if (path.startsWith(ADMIN_NAMESPACES)) {
            String namespace = segment(path, ADMIN_NAMESPACES.length());
            return namespace != null && grants.allows(namespace, Right.ADMIN);
        }
        if (path.startsWith("/v1/admin/") || path.equals("/v1/admin") || path.startsWith("/actuator")) {
            return grants.allowsEverywhere(Right.ADMIN);
        }
        if (path.equals(NAMESPACES) || path.equals(NAMESPACES + "/")) {
            return reading || grants.allowsEverywhere(Right.ADMIN);
        }
        if (path.startsWith(NAMESPACES + "/")) {
            int start = NAMESPACES.length() + 1;
            String namespace = segment(path, start);
            if (namespace == null) {
                return false;
            }
            boolean wholeNamespace = path.indexOf('/', start) < 0;
            if (wholeNamespace) {
                return reading ? grants.allowsAny(namespace) : grants.allows(namespace, Right.ADMIN);
            }
            return grants.allows(namespace, Right.READ);
        }
        return true;
    }

    /** The decoded path segment starting at {@code start}; null when it does not decode. */
    private static String segment(String path, int start) {
        int end = path.indexOf('/', start);
        String raw = end < 0 ? path.substring(start) : path.substring(start, end);
        try {
            return UriUtils.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return null;
        }
    }
}
