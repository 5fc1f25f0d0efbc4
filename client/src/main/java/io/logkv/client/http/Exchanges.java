package io.logkv.client.http;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ProblemTypes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Sends requests to the nodes {@link Routes} names and retries what is worth retrying until the request's
 * deadline: a node that could not be reached (the request never left) is skipped for the next; a {@code 503}
 * (overloaded, no owner yet, replica not caught up, outcome unknown) or a {@code 429} (too many reads of the
 * client waiting) is retried after its {@code Retry-After} or a growing pause; a request that was sent but not answered is retried only when repeating it is safe
 * (reads, and writes under an {@code Idempotency-Key}, which the client always sends).
 */
final class Exchanges {

    private static final Duration FIRST_PAUSE = Duration.ofMillis(50);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(1);

    private final HttpClient http;
    private final ObjectMapper json;
    private final Duration attemptTimeout;
    private final MeterRegistry meters;
    private final Counter retries;
    private final Counter hops;
    private final ScheduledExecutorService timer;
    private final Credentials credentials;

    /**
     * @param timer       runs the pauses between attempts (one thread; a task only sends the next attempt)
     * @param credentials sent with every request
     */
    Exchanges(HttpClient http, ObjectMapper json, Duration attemptTimeout, MeterRegistry meters, ScheduledExecutorService timer,
              Credentials credentials) {
        this.credentials = credentials;
        this.http = http;
        this.json = json;
        this.attemptTimeout = attemptTimeout;
        this.meters = meters;
        this.retries = Counter.builder("logkv.client.retries")
                .description("Attempts of a request after its first: another node, or the same after a 503").register(meters);
        this.hops = Counter.builder("logkv.client.hops")
                .description("Answers that took a hop between nodes (the client did not know the key's owner or replicas)")
                .register(meters);
        this.timer = timer;
    }

    /**
     * Sends a request to {@code nodes} in turn until one answers with something other than a 503, or
     * {@code deadline} (a {@link System#nanoTime()}) passes.
     *
     * @param operation  names the request in metrics
     * @param repeatable whether a request that was sent but not answered may be sent again
     * @param request    builds the request for a node's base URL
     * @param nodes      where to send it, best first; asked again before each round
     * @param onHop      called when an answer says it took a hop (the topology changed)
     */
    CompletableFuture<HttpResponse<byte[]>> send(String operation, boolean repeatable, Function<String, HttpRequest.Builder> request,
                                                 java.util.function.Supplier<List<String>> nodes, long deadline, Runnable onHop) {
        long started = System.nanoTime();
        CompletableFuture<HttpResponse<byte[]>> answer = new CompletableFuture<>();
        attempt(operation, repeatable, request, nodes, nodes.get(), 0, deadline, FIRST_PAUSE, onHop, answer, null);
        return answer.whenComplete((response, error) -> Timer.builder("logkv.client.requests")
                .description("Requests through the LogKV client, retries included")
                .tag("operation", operation)
                .tag("outcome", error != null ? "failed" : Integer.toString(response.statusCode()))
                .register(meters).record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    }

    private void attempt(String operation, boolean repeatable, Function<String, HttpRequest.Builder> request,
                         java.util.function.Supplier<List<String>> nodes, List<String> round, int index, long deadline, Duration pause,
                         Runnable onHop, CompletableFuture<HttpResponse<byte[]>> answer, LogKvException last) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            answer.completeExceptionally(last != null ? last
                    : new LogKvException(0, "timeout", "no answer within the request's deadline", null, null));
            return;
        }
        if (index >= round.size()) {
            // Every node of the round tried: pause, then a new round (the topology may have changed meanwhile).
            Duration wait = last != null && last.retryAfter() != null && last.retryAfter().compareTo(pause) < 0 ? last.retryAfter() : pause;
            long waitNanos = Math.min(wait.toNanos(), left);
            timer.schedule(() -> attempt(operation, repeatable, request, nodes, nodes.get(), 0, deadline, longer(pause), onHop,
                    answer, last), waitNanos, TimeUnit.NANOSECONDS);
            return;
        }
        if (last != null) {
            retries.increment();
        }
        String node = round.get(index);
        Duration timeout = Duration.ofNanos(Math.min(left, attemptTimeout.toNanos()));
        HttpRequest built = credentials.applyTo(request.apply(node)).timeout(timeout).build();
        http.sendAsync(built, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, error) -> {
            if (error == null) {
                if (response.headers().firstValue(ApiHeaders.OWNER).isPresent() || response.headers().firstValue(ApiHeaders.REPLICAS).isPresent()) {
                    hops.increment();
                    onHop.run();
                }
                if (response.statusCode() != 503 && response.statusCode() != 429) {
                    answer.complete(response);
                    return;
                }
                LogKvException unavailable = problem(response);
                if (isFinal(unavailable)) {
                    answer.completeExceptionally(unavailable);
                    return;
                }
                attempt(operation, repeatable, request, nodes, round, round.size(), deadline, pause, onHop, answer, unavailable);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            boolean neverSent = cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException;
            LogKvException failure = new LogKvException(0, neverSent ? "unreachable" : "no-answer",
                    node + ": " + cause, null, cause);
            if (!neverSent && !repeatable) {
                answer.completeExceptionally(failure);
                return;
            }
            onHop.run();
            attempt(operation, repeatable, request, nodes, round, index + 1, deadline, pause, onHop, answer, failure);
        });
    }

    /** A 503 that another attempt cannot change. */
    private static boolean isFinal(LogKvException unavailable) {
        return ProblemTypes.UNSAFE_NAMESPACE.equals(unavailable.type());
    }

    private static Duration longer(Duration pause) {
        Duration doubled = pause.multipliedBy(2);
        return doubled.compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : doubled;
    }

    /** The problem an answer carries, as an exception. */
    LogKvException problem(HttpResponse<byte[]> response) {
        String type = "http-" + response.statusCode();
        String detail = null;
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        if (contentType.contains("json") && response.body() != null && response.body().length > 0) {
            try {
                JsonNode body = json.readTree(new String(response.body(), StandardCharsets.UTF_8));
                String uri = body.path("type").asString("");
                type = uri.isEmpty() ? type : ProblemTypes.ofUri(uri);
                detail = body.path("detail").asString(null);
            } catch (RuntimeException notJson) {
                detail = new String(response.body(), StandardCharsets.UTF_8);
            }
        }
        Duration retryAfter = response.headers().firstValue("Retry-After").map(Exchanges::seconds).orElse(null);
        if (response.statusCode() == 412) {
            return new ConditionFailedException(detail, response.headers().firstValue("ETag").map(LogKvClient::unquoted).orElse(null));
        }
        return new LogKvException(response.statusCode(), type, detail, retryAfter, null);
    }

    private static Duration seconds(String value) {
        try {
            return Duration.ofSeconds(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
