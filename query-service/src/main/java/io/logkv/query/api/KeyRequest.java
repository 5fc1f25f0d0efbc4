package io.logkv.query.api;

import io.logkv.query.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What a key read was asked with: its query parameters and headers. A read arrives either as its own HTTP
 * request or as one item of a batch of forwarded reads ({@link ForwardedReadsEndpoint}); both are served by
 * the same code through this view.
 */
interface ReadArguments {

    /** A query parameter's value, or null; 400 when the query string cannot be parsed. */
    String parameter(String name);

    /** A header's first value, or null. */
    String header(String name);

    /** Every value of a header (none when absent). */
    List<String> headers(String name);

    /** The request's raw path and query string, as it came off the wire. */
    String pathAndQuery();

    /** GET or HEAD. */
    String method();

    /**
     * Who the read is for, to bound the reads one client may have waiting ({@link WaitingReads}): the caller's
     * principal (the client a node forwarded the read for), or on an open node the address it came from.
     */
    String client();

    /** The arguments of an HTTP request. */
    static ReadArguments of(HttpServletRequest request) {
        return new ReadArguments() {
            @Override
            public String parameter(String name) {
                try {
                    return request.getParameter(name);
                } catch (IllegalStateException malformed) {
                    throw ApiProblem.badRequest("bad-request", "the query string is malformed: " + malformed.getMessage());
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
            public String client() {
                return WaitingReads.clientOf(request);
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
    static ReadArguments of(String pathAndQuery, Map<String, String> parameters, Map<String, String> headers) {
        return new ReadArguments() {
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
                return "GET";
            }

            @Override
            public String client() {
                String caller = headers.get(Caller.HEADER);
                if (caller != null) {
                    try {
                        return Caller.ofHeader(caller).name();
                    } catch (IllegalArgumentException malformed) {
                        // refused before it is read; the node that sent it is the client then
                    }
                }
                return headers.get(Peers.FORWARDED_HEADER);
            }
        };
    }
}
