package io.logkv.query.security;

import io.logkv.query.path.KeyPath;
import io.logkv.query.read.ForwardedReadBatch;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.web.firewall.FirewalledRequest;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * Spring Security's {@link StrictHttpFirewall} for every path but the key endpoint's. A key is one
 * percent-encoded path segment that may hold any character ({@code /}, {@code %}, {@code ;}, {@code ..}), which
 * the strict firewall refuses; the key endpoint reads its raw path itself ({@code KeyPathSegment}) and nothing
 * matches it on a decoded path, so the checks that protect path matching have nothing to protect there.
 * Header and parameter values are left to the handlers, which answer malformed ones with problems of their own.
 */
final class KeyPathFirewall implements HttpFirewall {

    private final StrictHttpFirewall strict = new StrictHttpFirewall();

    KeyPathFirewall() {
        strict.setAllowedHeaderNames(name -> true);
        strict.setAllowedHeaderValues(value -> true);
        strict.setAllowedParameterNames(name -> true);
        strict.setAllowedParameterValues(value -> true);
    }

    @Override
    public FirewalledRequest getFirewalledRequest(HttpServletRequest request) {
        if (KeyPath.of(request) != null || ForwardedReadBatch.PATH.equals(request.getRequestURI())) {
            return new Unchecked(request);
        }
        return strict.getFirewalledRequest(request);
    }

    /** Responses are not wrapped: the node writes no header from request input that it has not checked. */
    @Override
    public HttpServletResponse getFirewalledResponse(HttpServletResponse response) {
        return response;
    }

    private static final class Unchecked extends FirewalledRequest {

        Unchecked(HttpServletRequest request) {
            super(request);
        }

        @Override
        public void reset() {
        }
    }
}
