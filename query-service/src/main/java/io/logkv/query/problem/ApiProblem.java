package io.logkv.query.problem;

import io.logkv.core.ProblemTypes;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * An answer in RFC 9457 form ({@code application/problem+json}) that a handler throws to end a request:
 * a problem type from API.md, a status, a detail for the human, and any headers the answer must carry.
 * It is an answer, not a failure: it records no stack trace, which would cost more than the answer itself
 * when a node refuses thousands of requests a second (over quota, overloaded).
 */
public class ApiProblem extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String title;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public ApiProblem(HttpStatus status, String type, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
    }

    public static ApiProblem badRequest(String type, String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, type, "Malformed request", detail);
    }

    public static ApiProblem namespaceNotFound(String namespace) {
        return new ApiProblem(HttpStatus.NOT_FOUND, ProblemTypes.NAMESPACE_NOT_FOUND, "Namespace not found",
                "there is no namespace '" + namespace + "'");
    }

    public static ApiProblem unavailable(String type, String title, String detail, Duration retryAfter) {
        return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, type, title, detail)
                .withHeader(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
    }

    /** A peer's problem answer, to pass on as this node's own. */
    public static ApiProblem fromPeer(int status, byte[] body, java.util.Optional<String> retryAfter, tools.jackson.databind.ObjectMapper json) {
        String type = ProblemTypes.REPLICA_UNAVAILABLE;
        String title = "Replica unavailable";
        String detail = "a replica answered " + status;
        try {
            tools.jackson.databind.JsonNode problem = json.readTree(body);
            type = ProblemTypes.ofUri(problem.path("type").asString(ProblemTypes.uri(type)));
            title = problem.path("title").asString(title);
            detail = problem.path("detail").asString(detail);
        } catch (RuntimeException e) {
            // not a problem document: keep the generic description
        }
        HttpStatus resolved = HttpStatus.resolve(status);
        ApiProblem answer = new ApiProblem(resolved == null || resolved.is2xxSuccessful() ? HttpStatus.SERVICE_UNAVAILABLE : resolved,
                type, title, detail);
        retryAfter.ifPresent(value -> answer.withHeader(HttpHeaders.RETRY_AFTER, value));
        return answer;
    }

    /** Adds a header to the answer. */
    public ApiProblem withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** The problem type's name (the last segment of its URI). */
    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public HttpStatus status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The RFC 9457 body. */
    public ProblemDetail body() {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, getMessage());
        problem.setType(typeUri(type));
        problem.setTitle(title);
        return problem;
    }

    /** The RFC 9457 body as JSON bytes, with the members in the order the rest of the API writes them. */
    public byte[] json(tools.jackson.databind.ObjectMapper json, String instance) {
        Map<String, Object> body = new java.util.TreeMap<>();
        body.put("type", typeUri(type).toString());
        body.put("title", title);
        body.put("status", status.value());
        body.put("detail", getMessage());
        body.put("instance", instance);
        return json.writeValueAsBytes(body);
    }

    /** Answers the request with this problem, written straight to the servlet response (outside Spring MVC). */
    public void write(jakarta.servlet.http.HttpServletRequest request, jakarta.servlet.http.HttpServletResponse response,
                      tools.jackson.databind.ObjectMapper json) throws java.io.IOException {
        byte[] bytes = json(json, request.getRequestURI());
        response.setStatus(status.value());
        headers.forEach(response::setHeader);
        response.setContentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /** Problem types are relative URIs under {@code /problems/}, named as in API.md. */
    public static URI typeUri(String type) {
        return URI.create(ProblemTypes.uri(type));
    }
}
