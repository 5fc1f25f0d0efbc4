package io.logkv.query.admission;

import io.logkv.core.ApiHeaders;
import io.logkv.query.admission.QuotaBuckets.Operation;
import io.logkv.query.admission.QuotaBuckets.Refusal;
import io.logkv.query.path.KeyPath;
import io.logkv.query.security.Caller;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.web.util.UriUtils;
import tools.jackson.databind.ObjectMapper;

/**
 * Charges each read and write a client sends to its client's and its namespace's rates ({@link QuotaBuckets}),
 * and answers one over either {@code 429 over-quota} with {@code Retry-After} before it is served:
 * <pre>
 *   GET/HEAD /v1/namespaces/{ns}/keys/{key}                    a read of ns
 *   PUT/DELETE /v1/namespaces/{ns}/keys/{key}                  a write to ns
 *   POST /v1/namespaces/{ns}/batch-get                         a read of ns (and one more per further key, charged
 *                                                              once the body is read: BatchGetController)
 *   GET /v1/namespaces/{ns}/keys, GET /v1/namespaces/{ns}/watch a read of ns
 * </pre>
 * Anything else (namespace administration, the admin and internal endpoints) is not charged, nor is a request
 * another node forwarded, which was charged where its client sent it. The last filter of the security chain:
 * a request is charged once its caller is known and allowed, so a refused caller spends nobody's rate.
 */
public final class QuotaGate implements Filter {

    private static final String NAMESPACES = "/v1/namespaces/";

    private final QuotaBuckets buckets;
    private final Refusals refusals;
    private final ObjectMapper json;

    public QuotaGate(QuotaBuckets buckets, Refusals refusals, ObjectMapper json) {
        this.buckets = buckets;
        this.refusals = refusals;
        this.json = json;
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        Refusal refusal = buckets.enabled() && request.getDispatcherType() == DispatcherType.REQUEST
                && request.getHeader(ApiHeaders.FORWARDED_BY) == null ? charge(request) : null;
        if (refusal == null) {
            chain.doFilter(servletRequest, servletResponse);
            return;
        }
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        if (!response.isCommitted()) {
            refusals.overQuota(refusal).write(request, response, json);
        }
    }

    /** Charges the request to its client and namespace: null when it may go on (or is not charged at all). */
    private Refusal charge(HttpServletRequest request) {
        String uri = request.getRequestURI();
        if (!uri.startsWith(NAMESPACES)) {
            return null;
        }
        String method = request.getMethod();
        KeyPath key = KeyPath.of(request);
        String namespace;
        Operation operation;
        if (key != null) {
            namespace = key.namespace();
            operation = switch (method) {
                case "GET", "HEAD" -> Operation.READ;
                case "PUT", "DELETE" -> Operation.WRITE;
                default -> null;
            };
        } else {
            int nsEnd = uri.indexOf('/', NAMESPACES.length());
            namespace = nsEnd < 0 ? null : decoded(uri.substring(NAMESPACES.length(), nsEnd));
            operation = nsEnd >= 0 && isRead(method, uri, nsEnd + 1) ? Operation.READ : null;
        }
        if (namespace == null || operation == null) {
            return null;
        }
        return buckets.charge(Caller.clientOf(request), namespace, operation, 1);
    }

    /**
     * Whether the rest of a namespace path (after the namespace's segment) is a batch-get, a scan or a watch, compared
     * decoded, as the paths are matched to their handlers: {@code %6Beys} is the scan, and charged as one.
     */
    private static boolean isRead(String method, String uri, int rest) {
        String segment = decoded(uri.substring(rest));
        if (segment == null) {
            return false;
        }
        return method.equals("POST") ? segment.equals("batch-get")
                : (method.equals("GET") || method.equals("HEAD")) && (segment.equals("keys") || segment.equals("watch"));
    }

    /** A namespace segment decoded; null when it does not decode (the request is refused further on anyway). */
    private static String decoded(String raw) {
        try {
            return UriUtils.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return null;
        }
    }
}
