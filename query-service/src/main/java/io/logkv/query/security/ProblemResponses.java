package io.logkv.query.security;

import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import tools.jackson.databind.ObjectMapper;

/**
 * How Spring Security's refusals are answered: as the RFC 9457 problems of the rest of the API.
 * {@code 401 unauthenticated} (no credentials, or credentials this node does not accept; with
 * {@code WWW-Authenticate} naming both schemes), {@code 403 forbidden} (a caller without the right), and
 * {@code 400 bad-request} for a request Spring Security's firewall refuses.
 */
public final class ProblemResponses implements AuthenticationEntryPoint, AccessDeniedHandler, RequestRejectedHandler {

    static final String CHALLENGE = "Bearer realm=\"logkv\", ApiKey realm=\"logkv\"";

    private final ObjectMapper json;

    public ProblemResponses(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException failure) throws IOException {
        String detail = request.getHeader("Authorization") == null
                ? "the request carries no credentials: send Authorization: ApiKey <key> or Authorization: Bearer <jwt>"
                : "the credentials were not accepted: " + failure.getMessage();
        write(request, response, new ApiProblem(HttpStatus.UNAUTHORIZED, ProblemTypes.UNAUTHENTICATED, "Unauthenticated", detail)
                .withHeader("WWW-Authenticate", CHALLENGE));
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException denied) throws IOException {
        Caller caller = Caller.current();
        write(request, response, new ApiProblem(HttpStatus.FORBIDDEN, ProblemTypes.FORBIDDEN, "Forbidden",
                (caller == null ? "the caller" : "'" + caller.name() + "'") + " may not " + request.getMethod() + " " + request.getRequestURI()
                        + (caller == null ? "" : " (its grants: " + caller.grants().text() + ")")));
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, RequestRejectedException rejected) throws IOException {
        write(request, response, ApiProblem.badRequest(ProblemTypes.BAD_REQUEST, "the request was refused: " + rejected.getMessage()));
    }

    /** Answers with a problem unless an answer has begun. */
    void write(HttpServletRequest request, HttpServletResponse response, ApiProblem problem) throws IOException {
        if (!response.isCommitted()) {
            response.resetBuffer();
            problem.write(request, response, json);
        }
    }
}
