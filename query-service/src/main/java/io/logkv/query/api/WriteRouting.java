package io.logkv.query.api;

import io.logkv.query.LogKvProperties;
import io.logkv.query.api.NamespaceResolver.ServedNamespace;
import io.logkv.writer.NotOwnerException;
import io.logkv.writer.OwnerDirectory;
import io.logkv.writer.PartitionOwner;
import io.logkv.writer.WriteOutcome;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;

/**
 * Gets a write to the owner of its partition: this node when it owns it, otherwise the owner the
 * writers' group names, by forwarding the request over HTTP. While ownership is moving (a rebalance, a
 * new owner catching up) it retries until the write's deadline, then answers 503.
 */
@Component
public class WriteRouting {

    /** Marks a forwarded request, so it is never forwarded twice. */
    public static final String FORWARDED_HEADER = "KV-Forwarded-By";
    private static final List<String> FORWARDED_REQUEST_HEADERS = List.of(
            "Content-Type", "If-Match", "If-None-Match", "KV-Token", "Idempotency-Key");
    private static final List<String> RELAYED_RESPONSE_HEADERS = List.of(
            "Content-Type", "ETag", "KV-Token", "Retry-After");
    private static final Duration RETRY_PAUSE = Duration.ofMillis(100);

    private final OwnerDirectory directory;
    private final PartitionOwner owner;
    private final HttpClient http;
    private final LogKvProperties props;

    public WriteRouting(OwnerDirectory directory, PartitionOwner owner, LogKvProperties props) {
        this.directory = directory;
        this.owner = owner;
        this.props = props;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    /**
     * Runs {@code local} here, or forwards the request to the partition's owner.
     *
     * @param local    the write on this node; fails with {@link NotOwnerException} when this node does not own the partition
     * @param answer   the response for a write done here
     * @param body     the request body (for forwarding)
     */
    public CompletableFuture<ResponseEntity<Object>> route(ServedNamespace namespace, int partition, HttpServletRequest request,
                                                           byte[] body, Supplier<CompletableFuture<WriteOutcome>> local,
                                                           Function<WriteOutcome, ResponseEntity<Object>> answer) {
        long deadline = System.nanoTime() + props.writer().forwardTimeout().toNanos();
        ForwardedRequest forwardable = ForwardedRequest.of(request, body);
        return attempt(namespace, partition, forwardable, local, answer, deadline, false);
    }

    private CompletableFuture<ResponseEntity<Object>> attempt(ServedNamespace namespace, int partition, ForwardedRequest request,
                                                              Supplier<CompletableFuture<WriteOutcome>> local,
                                                              Function<WriteOutcome, ResponseEntity<Object>> answer,
                                                              long deadline, boolean refresh) {
        return local.get().thenApply(answer).exceptionallyCompose(error -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(cause instanceof NotOwnerException)) {
                return CompletableFuture.failedFuture(cause);
            }
            if (System.nanoTime() > deadline) {
                return CompletableFuture.failedFuture(ApiProblem.unavailable("no-owner", "No owner",
                        "no node owns partition " + partition + " of " + namespace.name() + " right now; ownership is moving",
                        Duration.ofSeconds(1)));
            }
            if (request.forwardedBy() != null) {
                // Forwarded here because this node was named owner: wait for the assignment to arrive.
                return later(() -> attempt(namespace, partition, request, local, answer, deadline, true));
            }
            return directory.ownerOf(namespace.name(), partition, refresh).thenCompose(owner -> {
                if (owner.isPresent() && !owner.get().equals(this.owner.advertisedUrl())) {
                    return forward(owner.get(), request);
                }
                return later(() -> attempt(namespace, partition, request, local, answer, deadline, true));
            });
        });
    }

    private CompletableFuture<ResponseEntity<Object>> later(Supplier<CompletableFuture<ResponseEntity<Object>>> next) {
        return CompletableFuture.supplyAsync(() -> null,
                CompletableFuture.delayedExecutor(RETRY_PAUSE.toMillis(), TimeUnit.MILLISECONDS)).thenCompose(ignored -> next.get());
    }

    private CompletableFuture<ResponseEntity<Object>> forward(String ownerUrl, ForwardedRequest request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(ownerUrl + request.pathAndQuery()))
                .timeout(props.writer().forwardTimeout())
                .method(request.method(), request.body() == null
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(request.body()))
                .header(FORWARDED_HEADER, props.nodeId());
        request.headers().forEach((name, value) -> builder.header(name, value));
        return http.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, error) -> {
                    if (error != null) {
                        throw ApiProblem.unavailable("owner-unreachable", "Owner unreachable",
                                "the owner of the partition, " + ownerUrl + ", did not answer: " + error.getMessage(), Duration.ofSeconds(1));
                    }
                    HttpHeaders headers = new HttpHeaders();
                    for (String name : RELAYED_RESPONSE_HEADERS) {
                        response.headers().firstValue(name).ifPresent(value -> headers.set(name, value));
                    }
                    byte[] bytes = response.body();
                    return new ResponseEntity<>(bytes == null || bytes.length == 0 ? null : bytes, headers,
                            HttpStatus.valueOf(response.statusCode()));
                });
    }

    /** What is needed to replay a write on another node, taken while the servlet request is still valid. */
    private record ForwardedRequest(String method, String pathAndQuery, java.util.Map<String, String> headers, byte[] body,
                                    String forwardedBy) {

        static ForwardedRequest of(HttpServletRequest request, byte[] body) {
            java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
            for (String name : FORWARDED_REQUEST_HEADERS) {
                java.util.List<String> values = java.util.Collections.list(request.getHeaders(name));
                if (!values.isEmpty()) {
                    headers.put(name, String.join(", ", values));
                }
            }
            String query = request.getQueryString();
            return new ForwardedRequest(request.getMethod(), request.getRequestURI() + (query == null ? "" : "?" + query),
                    headers, body, request.getHeader(FORWARDED_HEADER));
        }
    }
}
