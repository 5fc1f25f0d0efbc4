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
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Sends requests to the nodes {@link Routes} names and retries what is worth retrying until the request's
 * deadline: a node that could not be reached (the request never left) is skipped for the next; a {@code 503}
 * (overloaded, no owner yet, replica not caught up, outcome unknown) or a {@code 429} (too many reads of the
 * client waiting, over quota) is retried after its {@code Retry-After} (seconds or a date, however long), or a
 * growing pause when it has none or asks for less, either spread at random ({@link Backoff}); a wait that would reach
 * the deadline is not waited: the request fails at once with the last answer's problem. A request that was sent but not
 * answered is retried only when repeating it is safe (reads, and writes under an {@code Idempotency-Key}, which
 * the client always sends). A {@code 421} naming the namespace's home region ({@code KV-Home-Url}) was not
 * applied: it is sent on to that region at once, and, when regions disagree on the home (a promotion under
 * way), again after a pause.
 */
final class Exchanges {

    private static final Duration FIRST_PAUSE = Duration.ofMillis(50);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(1);
    /** Homes followed at once per request; past them, regions disagree and each further one waits a pause. */
    private static final int IMMEDIATE_HOME_HOPS = 2;

    private final HttpClient http;
    private final ObjectMapper json;
    private final Duration attemptTimeout;
    private final MeterRegistry meters;
    private final Counter retries;
    private final Counter hops;
    private final Counter homeRedirects;
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
        this.homeRedirects = Counter.builder("logkv.client.home.redirects")
                .description("Requests refused with 421 by a region that is not the namespace's home, sent on to the home it named")
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
     * @param onHome     called with the base URL of the home region a {@code 421} named, before the request follows it
     */
    CompletableFuture<HttpResponse<byte[]>> send(String operation, boolean repeatable, Function<String, HttpRequest.Builder> request,
                                                 Supplier<List<String>> nodes, long deadline, Runnable onHop, Consumer<String> onHome) {
        long started = System.nanoTime();
        Exchange exchange = new Exchange(repeatable, request, nodes, deadline, onHop, onHome, new CompletableFuture<>());
        attempt(exchange, nodes.get(), 0, FIRST_PAUSE, 0, null);
        return exchange.answer().whenComplete((response, error) -> Timer.builder("logkv.client.requests")
                .description("Requests through the LogKV client, retries included")
                .tag("operation", operation)
                .tag("outcome", error != null ? "failed" : Integer.toString(response.statusCode()))
                .register(meters).record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    }

    /** What stays the same across a request's attempts. */
    private record Exchange(boolean repeatable, Function<String, HttpRequest.Builder> request, Supplier<List<String>> nodes,
                            long deadline, Runnable onHop, Consumer<String> onHome, CompletableFuture<HttpResponse<byte[]>> answer) {
    }

    /**
     * Sends the request to {@code round.get(index)}, or, past the round's end, pauses and starts a new round.
     *
     * @param homeHops the {@code 421}s followed so far
     * @param last     why the previous attempt did not answer, or null
     */
    private void attempt(Exchange exchange, List<String> round, int index, Duration pause, int homeHops, LogKvException last) {
        CompletableFuture<HttpResponse<byte[]>> answer = exchange.answer();
        long left = exchange.deadline() - System.nanoTime();
        if (left <= 0) {
            answer.completeExceptionally(last != null ? last
                    : new LogKvException(0, "timeout", "no answer within the request's deadline", null, null));
            return;
        }
        if (index >= round.size()) {
            // Every node of the round tried: wait what the node asked (at least the pause), then a new round (the
            // topology may have changed meanwhile).
            Duration asked = last == null ? null : last.retryAfter();
            if (Backoff.least(pause, asked).compareTo(Duration.ofNanos(left)) >= 0) {
                // No attempt could follow the wait within the deadline: the request fails now, with what the nodes said.
                answer.completeExceptionally(last != null ? last
                        : new LogKvException(0, "timeout", "no answer within the request's deadline", null, null));
                return;
            }
            // Spread at random (Backoff), and never past the deadline, where the attempt fails with what the nodes said.
            long wait = Math.min(Backoff.next(pause, asked).toNanos(), left);
            timer.schedule(() -> attempt(exchange, exchange.nodes().get(), 0, longer(pause), homeHops, last), wait, TimeUnit.NANOSECONDS);
            return;
        }
        if (last != null) {
            retries.increment();
        }
        String node = round.get(index);
        Duration timeout = Duration.ofNanos(Math.min(left, attemptTimeout.toNanos()));
        HttpRequest built = credentials.applyTo(exchange.request().apply(node)).timeout(timeout).build();
        http.sendAsync(built, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, error) -> {
            if (error == null) {
                answered(exchange, response, round, pause, homeHops);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            boolean neverSent = cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException;
            LogKvException failure = new LogKvException(0, neverSent ? "unreachable" : "no-answer",
                    node + ": " + cause, null, cause);
            if (!neverSent && !exchange.repeatable()) {
                answer.completeExceptionally(failure);
                return;
            }
            exchange.onHop().run();
            attempt(exchange, round, index + 1, pause, homeHops, failure);
        });
    }

    /** An attempt's answer: the request's, or a reason to try again (another region, or the same nodes later). */
    private void answered(Exchange exchange, HttpResponse<byte[]> response, List<String> round, Duration pause, int homeHops) {
        if (response.headers().firstValue(ApiHeaders.OWNER).isPresent() || response.headers().firstValue(ApiHeaders.REPLICAS).isPresent()) {
            hops.increment();
            exchange.onHop().run();
        }
        String home = response.statusCode() == 421 ? response.headers().firstValue(ApiHeaders.HOME_URL).map(Exchanges::baseUrl).orElse("") : "";
        if (!home.isEmpty()) {
            // Refused, not applied: the same request (and Idempotency-Key) goes to the home region.
            homeRedirects.increment();
            exchange.onHome().accept(home);
            LogKvException refused = problem(response);
            if (homeHops < IMMEDIATE_HOME_HOPS) {
                attempt(exchange, List.of(home), 0, pause, homeHops + 1, refused);
            } else {
                attempt(exchange, round, round.size(), pause, homeHops + 1, refused);
            }
            return;
        }
        if (response.statusCode() != 503 && response.statusCode() != 429) {
            exchange.answer().complete(response);
            return;
        }
        LogKvException unavailable = problem(response);
        if (isFinal(unavailable)) {
            exchange.answer().completeExceptionally(unavailable);
            return;
        }
        attempt(exchange, round, round.size(), pause, homeHops, unavailable);
    }

    private static String baseUrl(String url) {
        String trimmed = url.strip();
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
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
        String contentType = response.headers().firstValue(StandardHeaders.CONTENT_TYPE).orElse("");
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
        Duration retryAfter = RetryAfter.of(response.headers());
        if (response.statusCode() == 412) {
            return new ConditionFailedException(detail, response.headers().firstValue(StandardHeaders.ETAG).map(LogKvClient::unquoted).orElse(null));
        }
        return new LogKvException(response.statusCode(), type, detail, retryAfter, null);
    }
}
