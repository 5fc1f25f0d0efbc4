package io.logkv.client.http;

import io.logkv.core.PathSegments;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * LogKV's HTTP API for Java. Thread-safe; make one per application and close it at the end.
 *
 * <pre>{@code
 * try (LogKvClient client = LogKvClient.builder().nodes("http://localhost:8080").build()) {
 *     client.put("default", "greeting", "hello");
 *     LogKvSession session = client.session();          // read-your-writes, on any node
 *     session.put("default", "cart-42", "3 items");
 *     session.get("default", "cart-42");                // sees the put above
 * }
 * }</pre>
 *
 * <p>Reads without a session are eventual unless asked otherwise. Requests go straight to the key's
 * partition's owner (writes) or replicas (reads) once the namespace's topology is known, and to the
 * configured nodes until then or when those do not answer. A node that requires credentials gets them from
 * {@link Builder#apiKey} or {@link Builder#bearerToken} on every request. Every write carries an {@code Idempotency-Key}
 * (the caller's, or one the client makes), so a write whose outcome is unknown (the node or connection
 * failed after sending it) is retried until the deadline and applied at most once.
 */
public final class LogKvClient extends KeyValueOperations implements AutoCloseable {

    private final Engine engine;

    private LogKvClient(Engine engine) {
        this.engine = engine;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A new session: a token of its own, carried by every request it makes and merged from every answer. */
    public LogKvSession session() {
        return new LogKvSession(engine, null);
    }

    /** A session that starts from a token (one handed over from another process, for instance). */
    public LogKvSession session(String token) {
        return new LogKvSession(engine, token);
    }

    /**
     * The namespace's changes from now on (or, with {@code fromToken}, after what that token covers), for
     * keys starting with {@code prefix} (null: every key), as a publisher for one subscriber. The stream
     * resumes by itself after its last change when a node ends it or goes away; cancel the subscription to
     * stop it.
     */
    public java.util.concurrent.Flow.Publisher<Change> watch(String namespace, String prefix, String fromToken) {
        return new Watch(engine, namespace, prefix, fromToken);
    }

    @Override
    Engine engine() {
        return engine;
    }

    @Override
    Consistency defaultConsistency() {
        return Consistency.EVENTUAL;
    }

    @Override
    String token() {
        return null;
    }

    @Override
    void observed(String token) {
    }

    @Override
    public void close() {
        // (Java 17's HttpClient has no close: its threads end when it is no longer referenced.)
        engine.timer().shutdownNow();
    }

    /** The client's machinery, shared by the client and its sessions. */
    record Engine(HttpClient http, ObjectMapper json, Routes routes, Exchanges exchanges, Duration requestDeadline,
                  ScheduledExecutorService timer, Credentials credentials, Duration watchIdleTimeout) {

        /** The deadline of a request made now, as a {@link System#nanoTime()}. */
        long deadline() {
            return System.nanoTime() + requestDeadline.toNanos();
        }
    }

    /** How the client finds and talks to LogKV. */
    public static final class Builder {

        private final List<String> nodes = new ArrayList<>();
        private Duration requestDeadline = Duration.ofSeconds(30);
        private Duration attemptTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(1);
        private Duration topologyRefresh = Duration.ofSeconds(30);
        private Duration watchIdleTimeout = Duration.ofSeconds(45);
        private MeterRegistry meters = new SimpleMeterRegistry();
        private Credentials credentials = Credentials.NONE;

        private Builder() {
        }

        /** An API key, sent with every request as {@code Authorization: ApiKey <key>}. */
        public Builder apiKey(String key) {
            this.credentials = Credentials.of("ApiKey", () -> key);
            return this;
        }

        /**
         * A JWT, sent with every request as {@code Authorization: Bearer <jwt>}; asked of {@code jwt} for each
         * request, so that it can hand out a fresh one before the last expires.
         */
        public Builder bearerToken(java.util.function.Supplier<String> jwt) {
            this.credentials = Credentials.of("Bearer", Objects.requireNonNull(jwt));
            return this;
        }

        /** Base URLs of LogKV nodes ({@code http://host:port}); any one is enough, more survive its loss. */
        public Builder nodes(String... urls) {
            for (String url : urls) {
                String trimmed = url.strip();
                nodes.add(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            }
            return this;
        }

        /** How long a request may take, retries included, before it fails (default 30 s). */
        public Builder requestDeadline(Duration deadline) {
            this.requestDeadline = positive(deadline, "requestDeadline");
            return this;
        }

        /** How long one attempt waits for a node's answer (default 10 s; never beyond the request's deadline). */
        public Builder attemptTimeout(Duration timeout) {
            this.attemptTimeout = positive(timeout, "attemptTimeout");
            return this;
        }

        /** How long a connection to a node may take to open (default 1 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long a namespace's topology is used before it is fetched again (default 30 s). */
        public Builder topologyRefresh(Duration refresh) {
            this.topologyRefresh = positive(refresh, "topologyRefresh");
            return this;
        }

        /**
         * How long a watch's stream may stay silent (no event, not even a node's heartbeat comment) before the client
         * ends it and resumes after its last change, on the next node (default 45 s: three of the nodes'
         * {@code logkv.watch.heartbeat} at its default of 15 s; keep it above the nodes' heartbeat). It also bounds the
         * wait for a watch's answer to begin.
         */
        public Builder watchIdleTimeout(Duration timeout) {
            this.watchIdleTimeout = positive(timeout, "watchIdleTimeout");
            return this;
        }

        /**
         * Where the client's meters go: {@code logkv.client.requests} (a timer per operation and outcome),
         * {@code logkv.client.retries} and {@code logkv.client.hops} (answers that took a hop between nodes).
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meters = Objects.requireNonNull(registry);
            return this;
        }

        public LogKvClient build() {
            if (nodes.isEmpty()) {
                throw new IllegalStateException("name at least one LogKV node with nodes(...)");
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
            ObjectMapper json = JsonMapper.builder().build();
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "logkv-client-timer");
                thread.setDaemon(true);
                return thread;
            });
            Routes routes = new Routes(http, json, nodes, topologyRefresh, attemptTimeout, credentials);
            Exchanges exchanges = new Exchanges(http, json, attemptTimeout, meters, timer, credentials);
            return new LogKvClient(new Engine(http, json, routes, exchanges, requestDeadline, timer, credentials, watchIdleTimeout));
        }

        private static Duration positive(Duration duration, String name) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return duration;
        }
    }

    /** A path segment: the text's UTF-8 bytes, every one but the unreserved characters percent-encoded. */
    static String segment(String text) {
        return PathSegments.encode(text);
    }

    /** An ETag's version: without its quotes (and weak marker). */
    static String unquoted(String etag) {
        String tag = etag.startsWith("W/") ? etag.substring(2) : etag;
        return tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"") ? tag.substring(1, tag.length() - 1) : tag;
    }
}
