package io.logkv.query.security;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Tells nodes' requests from clients': a request that carries any internal header ({@link ApiHeaders#NODE_ONLY})
 * must carry a node's MAC over it, else it is refused with {@code 403 not-a-node} before anything reads it. Its body
 * is read (to check the MAC) only once its header names a key this node holds and a time within the allowed skew,
 * its path is one nodes send to, and it declares a length within the bound.
 * A request with a valid MAC is authenticated as the caller the node forwarded it for ({@value ApiHeaders#CALLER}),
 * or as the node itself when it names none (a node's own questions: topology, digests). On an open node without
 * node keys the internal headers are trusted as they come (everyone may do anything there anyway).
 */
public final class NodeRequests extends OncePerRequestFilter {

    /** Where nodes send requests to each other: the API's paths (forwarded requests, the internal ones, topology). */
    private static final String NODE_PATHS = "/v1/";

    private final NodeSignatures signatures;
    private final ProblemResponses problems;
    private final int maxBodyBytes;
    private final RequestAttributeSecurityContextRepository contexts = new RequestAttributeSecurityContextRepository();

    /**
     * @param signatures   null on an open node without node keys
     * @param maxBodyBytes the largest body a node forwards (a value, a batch of reads)
     */
    public NodeRequests(NodeSignatures signatures, ProblemResponses problems, int maxBodyBytes) {
        this.signatures = signatures;
        this.problems = problems;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Whether the request carries a header only nodes may send. */
    public static boolean hasInternalHeader(HttpServletRequest request) {
        for (String name : ApiHeaders.NODE_ONLY) {
            if (request.getHeader(name) != null) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (signatures == null || !hasInternalHeader(request)) {
            chain.doFilter(request, response);
            return;
        }
        // What can be told without the body is told first: a client's request does not get to make this node buffer it.
        String early = signatures.headerRefusal(name -> allValues(request, name), System.currentTimeMillis());
        if (early == null && !request.getRequestURI().startsWith(NODE_PATHS)) {
            early = "nodes send requests under " + NODE_PATHS + " only";
        }
        if (early == null && request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
            early = "a node's request declares its length (" + HttpHeaders.CONTENT_LENGTH + ")";
        }
        if (early != null) {
            refuse(request, response, early);
            return;
        }
        if (request.getContentLengthLong() > maxBodyBytes) {
            problems.write(request, response, tooLarge());
            return;
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(maxBodyBytes + 1);
        }
        if (body.length > maxBodyBytes) {
            problems.write(request, response, tooLarge());
            return;
        }
        String query = request.getQueryString();
        String pathAndQuery = query == null ? request.getRequestURI() : request.getRequestURI() + "?" + query;
        String refusal = signatures.refusal(request.getMethod(), pathAndQuery, name -> allValues(request, name), body,
                System.currentTimeMillis());
        String node = request.getHeader(ApiHeaders.FORWARDED_BY);
        if (refusal == null && node == null) {
            refusal = "a node's request names the node (" + ApiHeaders.FORWARDED_BY + ")";
        }
        Caller caller = null;
        if (refusal == null) {
            String header = request.getHeader(ApiHeaders.CALLER);
            try {
                caller = header == null ? new Caller(node, Grants.ALL) : Caller.ofHeader(header);
            } catch (IllegalArgumentException e) {
                refusal = "malformed " + ApiHeaders.CALLER + ": " + e.getMessage();
            }
        }
        if (refusal != null) {
            refuse(request, response, refusal);
            return;
        }
        SecurityContext context = SecurityContextHolder.getContextHolderStrategy().createEmptyContext();
        context.setAuthentication(CallerAuthentication.forwarded(caller, node));
        SecurityContextHolder.getContextHolderStrategy().setContext(context);
        contexts.saveContext(context, request, response);
        chain.doFilter(new ReadBody(request, body), response);
    }

    private ApiProblem tooLarge() {
        return new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, ProblemTypes.VALUE_TOO_LARGE, "Request too large",
                "a request between nodes is at most " + maxBodyBytes + " bytes");
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, String why) throws IOException {
        problems.write(request, response, new ApiProblem(HttpStatus.FORBIDDEN, ProblemTypes.NOT_A_NODE, "Internal headers are for nodes", why));
    }

    /** The request with its body, already read to check the MAC, readable again. */
    private static final class ReadBody extends HttpServletRequestWrapper {

        private final byte[] body;

        ReadBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body is already read");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] buffer, int offset, int length) {
                    return in.read(buffer, offset, length);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }

    /**
     * Every value of a header, joined by {@code ", "} as received (null when it has none): a value a client adds to a
     * node's request, in a header line of its own, is then part of what the MAC must match.
     */
    private static String allValues(HttpServletRequest request, String name) {
        java.util.Enumeration<String> values = request.getHeaders(name);
        if (values == null || !values.hasMoreElements()) {
            return null;
        }
        String first = values.nextElement();
        if (!values.hasMoreElements()) {
            return first;
        }
        StringBuilder all = new StringBuilder(first);
        while (values.hasMoreElements()) {
            all.append(", ").append(values.nextElement());
        }
        return all.toString();
    }
}
