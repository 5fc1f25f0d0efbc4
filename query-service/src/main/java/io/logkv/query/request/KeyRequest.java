package io.logkv.query.request;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ProblemTypes;
import io.logkv.query.keys.KeyOperations;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.read.WaitingReads;
import io.logkv.query.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * What a request for one key was asked with: its method, query parameters, headers and body. It arrives as
 * its own HTTP request, as one item of a batch of forwarded reads ({@code POST /v1/internal/reads}), or as a command
 * of the Redis-protocol endpoint; all are served by the same code ({@link KeyOperations}) through this view.
 */
public interface KeyRequest {

    /** A query parameter's value, or null; 400 when the query string cannot be parsed. */
    String parameter(String name);

    /** A header's first value, or null. */
    String header(String name);

    /** Every value of a header (none when absent). */
    List<String> headers(String name);

    /** The request's raw path and query string, as it came off the wire. */
    String pathAndQuery();

    /** GET, HEAD, PUT or DELETE. */
    String method();

    /**
     * The request's body (empty when it has none).
     *
     * @param maxBytes the largest body accepted
     * @throws ApiProblem 413 {@code value-too-large} when the body is larger
     */
    byte[] body(long maxBytes) throws IOException;

    /**
     * Who the read is for, to bound the reads one client may have waiting ({@link WaitingReads}): the caller's
     * principal (the client a node forwarded the read for), or on an open node the address it came from.
     */
    String client();

    /** The arguments of an HTTP request. */
    static KeyRequest of(HttpServletRequest request) {
        return new KeyRequest() {
            @Override
            public String parameter(String name) {
                try {
                    return request.getParameter(name);
                } catch (IllegalStateException malformed) {
                    throw ApiProblem.badRequest(ProblemTypes.BAD_REQUEST, "the query string is malformed: " + malformed.getMessage());
                }
            }

            @Override
            public String header(String name) {
                return request.getHeader(name);
            }

            @Override
            public List<String> headers(String name) {
                return Collections.list(request.getHeaders(name));
            }

            @Override
            public String pathAndQuery() {
                String query = request.getQueryString();
                return query == null ? request.getRequestURI() : request.getRequestURI() + "?" + query;
            }

            @Override
            public String method() {
                return request.getMethod();
            }

            @Override
            public byte[] body(long maxBytes) throws IOException {
                if (request.getContentLengthLong() > maxBytes) {
                    throw valueTooLarge(maxBytes);
                }
                try (InputStream in = request.getInputStream()) {
                    byte[] value = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
                    if (value.length > maxBytes) {
                        throw valueTooLarge(maxBytes);
                    }
                    return value;
                }
            }

            @Override
            public String client() {
                return Caller.clientOf(request);
            }
        };
    }

    /**
     * Arguments held in maps.
     *
     * @param pathAndQuery the raw path and query string
     * @param parameters   query parameters, decoded
     * @param headers      headers, each with a single value, in a map that finds a name in any case
     */
    static KeyRequest of(String pathAndQuery, Map<String, String> parameters, Map<String, String> headers) {
        return of("GET", pathAndQuery, parameters, headers, null, null);
    }

    /**
     * A request held in maps.
     *
     * @param method       its method
     * @param pathAndQuery the raw path and query string
     * @param parameters   query parameters, decoded
     * @param headers      headers, each with a single value, in a map that finds a name in any case
     * @param body         its body, or null
     * @param client       who it is for ({@link #client()}); null: the caller its headers name, else the node that forwarded it
     */
    static KeyRequest of(String method, String pathAndQuery, Map<String, String> parameters, Map<String, String> headers, byte[] body,
                         String client) {
        return new KeyRequest() {
            @Override
            public String parameter(String name) {
                return parameters.get(name);
            }

            @Override
            public String header(String name) {
                return headers.get(name);
            }

            @Override
            public List<String> headers(String name) {
                String value = header(name);
                return value == null ? List.of() : List.of(value);
            }

            @Override
            public String pathAndQuery() {
                return pathAndQuery;
            }

            @Override
            public String method() {
                return method;
            }

            @Override
            public byte[] body(long maxBytes) {
                if (body != null && body.length > maxBytes) {
                    throw valueTooLarge(maxBytes);
                }
                return body == null ? new byte[0] : body;
            }

            @Override
            public String client() {
                if (client != null) {
                    return client;
                }
                String caller = headers.get(ApiHeaders.CALLER);
                if (caller != null) {
                    try {
                        return Caller.ofHeader(caller).name();
                    } catch (IllegalArgumentException malformed) {
                        // refused before it is read; the node that sent it is the client then
                    }
                }
                return headers.get(ApiHeaders.FORWARDED_BY);
            }
        };
    }

    /** 413: the body is larger than values may be. */
    static ApiProblem valueTooLarge(long maxBytes) {
        return new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, ProblemTypes.VALUE_TOO_LARGE, "Value too large", "values are at most " + maxBytes + " bytes");
    }
}
