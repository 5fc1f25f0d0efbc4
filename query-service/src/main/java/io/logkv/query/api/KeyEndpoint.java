package io.logkv.query.api;

import io.logkv.core.ProblemTypes;
import io.logkv.query.keys.KeyOperations;
import io.logkv.query.path.KeyPath;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.FailureProblems;
import io.logkv.query.read.ForwardedReadBatch;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.ObjectMapper;

/**
 * Serves {@code /v1/namespaces/{ns}/keys/{key}} (GET, HEAD, PUT, DELETE), and the batches of reads that
 * other nodes forward here ({@link ForwardedReads}), straight from the servlet
 * container, in front of Spring MVC, which serves every other path. Point reads and writes are nearly all
 * of a node's requests, and Spring MVC's routing, argument resolution, message conversion and (for every
 * answer that waits) second dispatch cost several times what the container itself does (ADR 0007). The
 * answers are the same as the rest of the API's: the same headers, RFC 9457 problems, the same statuses.
 *
 * <p>An answer known at once (a read whose replica has caught up, a problem with the request) is written
 * on the request's thread. Otherwise the request goes asynchronous, holding no thread while it waits, and
 * the answer is written on a container thread once it is complete ({@code AsyncContext.start}, not a second
 * dispatch through the filters), never on the node's thread that completed it; the container's async timeout
 * bounds the wait.
 */
public final class KeyEndpoint implements Filter {

    /** The servlet URL pattern the endpoint is registered for. */
    public static final String NAMESPACES_PATTERN = KeyPath.NAMESPACES + "*";
    private static final String ALLOWED = "PUT, GET, DELETE";
    /** An answer's status is an {@code HttpStatusCode}: three digits. */
    private static final int STATUS_CODES = 1000;

    /**
     * The operations this endpoint serves and the query parameters and headers each reads, as the API
     * document must list them (OpenApiDocumentIT compares).
     */
    public static final Map<String, List<String>> OPERATIONS = Map.of(
            "PUT /v1/namespaces/{ns}/keys/{key}", List.of("query ttl", "header kv-token", "header if-match", "header if-none-match",
                    "header idempotency-key"),
            "GET /v1/namespaces/{ns}/keys/{key}", List.of("query consistency", "query wait_ms", "header kv-token", "header if-none-match"),
            "DELETE /v1/namespaces/{ns}/keys/{key}", List.of("header kv-token", "header if-match", "header idempotency-key"));

    private final KeyOperations operations;
    private final ForwardedReads forwardedReads;
    private final ObjectMapper json;
    private final long asyncTimeoutMs;
    private final MeterRegistry meters;
    /** The request timers by method name, then by status code: looked up on every answer, so without building a key. */
    private final Map<String, AtomicReferenceArray<Timer>> timers = new ConcurrentHashMap<>();

    /**
     * @param asyncTimeout how long an answer may take before the request is answered 503 (the same bound
     *                     as Spring MVC's asynchronous requests, {@code spring.mvc.async.request-timeout})
     */
    public KeyEndpoint(KeyOperations operations, ForwardedReads forwardedReads, ObjectMapper json, Duration asyncTimeout,
                       MeterRegistry meters) {
        this.operations = operations;
        this.forwardedReads = forwardedReads;
        this.json = json;
        this.asyncTimeoutMs = asyncTimeout.toMillis();
        this.meters = meters;
    }

    /** Whether this endpoint serves a request (a key, or a batch of forwarded reads). */
    public boolean serves(HttpServletRequest request) {
        return KeyPath.of(request) != null || ForwardedReadBatch.PATH.equals(request.getRequestURI());
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        KeyPath path = KeyPath.of(request);
        boolean batch = path == null && ForwardedReadBatch.PATH.equals(request.getRequestURI());
        if (path == null && !batch) {
            chain.doFilter(servletRequest, servletResponse);
            return;
        }
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        long start = System.nanoTime();
        String method = request.getMethod();
        CompletableFuture<ResponseEntity<?>> answer;
        try {
            answer = batch ? forwardedReads.serve(request) : switch (method) {
                case "GET", "HEAD" -> operations.get(path.namespace(), path.rawKey(), request);
                case "PUT" -> operations.put(path.namespace(), path.rawKey(), request);
                case "DELETE" -> operations.delete(path.namespace(), path.rawKey(), request);
                default -> CompletableFuture.failedFuture(new ApiProblem(HttpStatus.METHOD_NOT_ALLOWED, ProblemTypes.BAD_REQUEST,
                        "Method Not Allowed", "Method '" + method + "' is not supported.").withHeader("Allow", ALLOWED));
            };
        } catch (RuntimeException | IOException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        if (answer.isDone()) {
            respond(request, response, answer, start);
            return;
        }
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(asyncTimeoutMs);
        AtomicBoolean answered = new AtomicBoolean();
        async.addListener(new AsyncListener() {
            @Override
            public void onTimeout(AsyncEvent event) throws IOException {
                if (answered.compareAndSet(false, true)) {
                    try {
                        respond(request, response, CompletableFuture.failedFuture(ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Timed out",
                                "the request took longer than the node allows", Duration.ofSeconds(1))), start);
                    } finally {
                        async.complete();
                    }
                }
            }

            @Override
            public void onError(AsyncEvent event) {
                answered.set(true); // the connection failed: nobody is left to answer
            }

            @Override
            public void onComplete(AsyncEvent event) {
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
        CompletableFuture<ResponseEntity<?>> pending = answer;
        // The thread that completes the answer is the node's own (a partition's commit thread, a replica's applier, the
        // catch-up timer), and writing can block: a client that does not read its answers fills the socket's buffers,
        // and the write waits for it up to the connection's timeout. So the answer is written on a container thread, as
        // a request answered at once is, and a slow reader holds only that. The answer is claimed there, not here: a
        // timeout or a failed connection that comes while the write waits for its thread answers instead.
        pending.whenComplete((entity, error) -> {
            try {
                async.start(() -> {
                    if (answered.compareAndSet(false, true)) {
                        respondAndComplete(request, response, pending, start, async);
                    }
                });
            } catch (RuntimeException notDispatched) {
                // The request's cycle ended (its connection failed, or the server is stopping): nobody is left to answer.
                if (answered.compareAndSet(false, true)) {
                    completeQuietly(async);
                }
            }
        });
    }

    private void respondAndComplete(HttpServletRequest request, HttpServletResponse response, CompletableFuture<ResponseEntity<?>> answer,
                                    long startNanos, AsyncContext async) {
        try {
            respond(request, response, answer, startNanos);
        } catch (IOException | RuntimeException e) {
            // the client went away; nothing to answer
        } finally {
            completeQuietly(async);
        }
    }

    private static void completeQuietly(AsyncContext async) {
        try {
            async.complete();
        } catch (IllegalStateException completed) {
            // completed already
        }
    }

    /** Writes a completed answer: the entity it holds, or the problem its failure is. */
    private void respond(HttpServletRequest request, HttpServletResponse response, CompletableFuture<ResponseEntity<?>> answer,
                         long startNanos) throws IOException {
        ResponseEntity<?> entity;
        try {
            entity = answer.join();
        } catch (RuntimeException failure) {
            entity = problem(json, request.getRequestURI(), FailureProblems.of(failure));
        }
        int status = entity.getStatusCode().value();
        try {
            write(request, response, entity);
        } finally {
            timer(ForwardedReadBatch.PATH.equals(request.getRequestURI()) ? "forwarded-reads" : methodTag(request.getMethod()), status).record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private void write(HttpServletRequest request, HttpServletResponse response, ResponseEntity<?> entity) throws IOException {
        response.setStatus(entity.getStatusCode().value());
        // The backing map, not HttpHeaders.forEach, which builds a case-insensitive set of entries on every call.
        entity.getHeaders().asMultiValueMap().forEach((name, values) -> values.forEach(value -> response.addHeader(name, value)));
        Object body = entity.getBody();
        if (body == null) {
            return;
        }
        byte[] bytes;
        if (body instanceof byte[] raw) {
            bytes = raw;
        } else {
            bytes = json.writeValueAsBytes(body);
            if (response.getContentType() == null) {
                response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            }
        }
        response.setContentLength(bytes.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(bytes);
        }
    }

    /** An RFC 9457 answer, with the members in the order the rest of the API writes them. */
    static ResponseEntity<byte[]> problem(ObjectMapper json, String instance, ApiProblem problem) {
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(problem.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
        problem.headers().forEach(answer::header);
        return answer.body(problem.json(json, instance));
    }

    /**
     * The method as the timers name it: any method a client sends reaches this endpoint (key paths skip the firewall),
     * so those it does not serve share one tag, and clients cannot grow the timers and the metrics without bound.
     */
    static String methodTag(String method) {
        return switch (method) {
            case "GET", "HEAD", "PUT", "DELETE" -> method;
            default -> "other";
        };
    }

    private Timer timer(String method, int status) {
        AtomicReferenceArray<Timer> byStatus = timers.computeIfAbsent(method, ignored -> new AtomicReferenceArray<>(STATUS_CODES));
        Timer timer = byStatus.get(status);
        if (timer == null) {
            // Registering twice returns the meter registered first.
            timer = Timer.builder("logkv.http.key.requests")
                    .description("Requests to /v1/namespaces/{ns}/keys/{key} (and batches of forwarded reads, method"
                            + " forwarded-reads), from arrival to answer")
                    .tag("method", method)
                    .tag("status", Integer.toString(status))
                    .register(meters);
            byStatus.set(status, timer);
        }
        return timer;
    }
}
