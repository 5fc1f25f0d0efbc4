package io.logkv.client.http;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ProblemTypes;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import tools.jackson.databind.JsonNode;

/**
 * Reads and writes of keys, each synchronous and asynchronous. {@link LogKvClient} sends them as they are;
 * {@link LogKvSession} also sends, and keeps, the token of everything it has written and read.
 */
public abstract sealed class KeyValueOperations permits LogKvClient, LogKvSession {

    private static final String TEXT = "text/plain; charset=utf-8";

    /** The client's machinery, shared by a client and its sessions. */
    abstract LogKvClient.Engine engine();

    /** The consistency of reads that name none. */
    abstract Consistency defaultConsistency();

    /** The token to send with a request, or null. */
    abstract String token();

    /** Keeps the token an answer carried (a session merges it into its own). */
    abstract void observed(String token);

    // ----- reads

    /** The key's live value at the default consistency; empty when it has none. */
    public Optional<KeyValue> get(String namespace, String key) {
        return join(getAsync(namespace, key, defaultConsistency()));
    }

    public Optional<KeyValue> get(String namespace, String key, Consistency consistency) {
        return join(getAsync(namespace, key, consistency));
    }

    public CompletableFuture<Optional<KeyValue>> getAsync(String namespace, String key, Consistency consistency) {
        LogKvClient.Engine engine = engine();
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        String path = keyPath(namespace, key) + "?consistency=" + consistency.parameter();
        String token = token();
        return engine.exchanges().send("get", true, node -> {
            HttpRequest.Builder request = HttpRequest.newBuilder(java.net.URI.create(node + path)).GET();
            return token == null ? request : request.header(ApiHeaders.TOKEN, token);
        }, () -> engine.routes().forRead(namespace, keyBytes, consistency == Consistency.STRONG), engine.deadline(),
                () -> engine.routes().stale(namespace), home -> engine.routes().home(namespace, home))
                .thenApply(response -> {
                    response.headers().firstValue(ApiHeaders.TOKEN).ifPresent(this::observed);
                    if (response.statusCode() == 404) {
                        LogKvException problem = engine.exchanges().problem(response);
                        if (ProblemTypes.KEY_NOT_FOUND.equals(problem.type())) {
                            return Optional.empty();
                        }
                        throw problem;
                    }
                    if (response.statusCode() != 200) {
                        throw engine.exchanges().problem(response);
                    }
                    return Optional.of(new KeyValue(key, response.body(),
                            response.headers().firstValue(StandardHeaders.CONTENT_TYPE).orElse("application/octet-stream"),
                            response.headers().firstValue(StandardHeaders.ETAG).map(LogKvClient::unquoted).orElse(null),
                            response.headers().firstValue(ApiHeaders.EXPIRES_AT).map(Instant::parse).orElse(null)));
                });
    }

    /**
     * Many keys at the default consistency; each key maps to its value or to empty, in the order asked. One request
     * when their values fit in a node's answer ({@code logkv.replicas.max-answer-bytes}); otherwise the keys a node
     * left unread are asked for again, at the position already read (the session's token), until every key is read.
     */
    public Map<String, Optional<KeyValue>> batchGet(String namespace, List<String> keys) {
        return join(batchGetAsync(namespace, keys, defaultConsistency()));
    }

    public CompletableFuture<Map<String, Optional<KeyValue>>> batchGetAsync(String namespace, List<String> keys, Consistency consistency) {
        return batchGetRound(namespace, keys, consistency, null, new java.util.HashMap<>()).thenApply(read -> {
            Map<String, Optional<KeyValue>> values = new LinkedHashMap<>();
            for (String key : keys) {
                values.put(key, read.get(key));
            }
            return values;
        });
    }

    /**
     * Reads {@code keys} into {@code read}, then those the node left unread, until none is left; each round after the
     * first sends the token of the one before ({@code readAt}), so that no key is read older than those already read.
     */
    private CompletableFuture<Map<String, Optional<KeyValue>>> batchGetRound(String namespace, List<String> keys, Consistency consistency,
                                                                           String readAt, Map<String, Optional<KeyValue>> read) {
        LogKvClient.Engine engine = engine();
        byte[] body = engine.json().writeValueAsBytes(Map.of("keys", keys));
        String path = "/v1/namespaces/" + LogKvClient.segment(namespace) + "/batch-get?consistency=" + consistency.parameter();
        return jsonFromAnyNode("batch-get", path, request -> request.header(StandardHeaders.CONTENT_TYPE, "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), readAt)
                .thenCompose(answer -> {
                    for (JsonNode item : answer.path("items")) {
                        String key = item.path("key").asString();
                        read.put(key, item.path("found").asBoolean(false) ? Optional.of(valueOf(item)) : Optional.empty());
                    }
                    List<String> unread = new java.util.ArrayList<>();
                    for (JsonNode key : answer.path("unread")) {
                        unread.add(key.asString());
                    }
                    if (unread.isEmpty()) {
                        return CompletableFuture.completedFuture(read);
                    }
                    if (answer.path("items").isEmpty()) {
                        // A node answers at least one key of each request; one that did not would make this loop forever.
                        return CompletableFuture.failedFuture(new LogKvException(0, "bad-answer",
                                "the node left every key of a batch-get unread", null, null));
                    }
                    return batchGetRound(namespace, unread, consistency, answer.path("token").asString(readAt), read);
                });
    }

    /** One page of the live keys starting with {@code prefix}, after the continuation {@code after} (null: the first page). */
    public ScanPage scan(String namespace, String prefix, String after, int limit) {
        return join(scanAsync(namespace, prefix, after, limit, defaultConsistency()));
    }

    public ScanPage scan(String namespace, String prefix, String after, int limit, Consistency consistency) {
        return join(scanAsync(namespace, prefix, after, limit, consistency));
    }

    public CompletableFuture<ScanPage> scanAsync(String namespace, String prefix, String after, int limit, Consistency consistency) {
        String path = "/v1/namespaces/" + LogKvClient.segment(namespace) + "/keys?limit=" + limit + "&consistency=" + consistency.parameter()
                + (prefix == null ? "" : "&prefix=" + LogKvClient.segment(prefix)) + (after == null ? "" : "&after=" + LogKvClient.segment(after));
        return jsonFromAnyNode("scan", path, HttpRequest.Builder::GET, null)
                .thenApply(page -> {
                    java.util.List<KeyValue> values = new java.util.ArrayList<>();
                    for (JsonNode item : page.path("items")) {
                        values.add(valueOf(item));
                    }
                    String next = page.path("next").asString(null);
                    return new ScanPage(values, next, page.path("token").asString(null));
                });
    }

    /**
     * A request any node answers (it reads every partition it needs), its JSON answer, and its token kept. It carries
     * the session's token and {@code readAt} (null: none) besides, which the node merges.
     */
    private CompletableFuture<JsonNode> jsonFromAnyNode(String operation, String path,
                                                        java.util.function.UnaryOperator<HttpRequest.Builder> method, String readAt) {
        LogKvClient.Engine engine = engine();
        String session = token();
        String token = session == null ? readAt : readAt == null ? session : session + ", " + readAt;
        return engine.exchanges().send(operation, true, node -> {
            HttpRequest.Builder request = method.apply(HttpRequest.newBuilder(java.net.URI.create(node + path)));
            return token == null ? request : request.header(ApiHeaders.TOKEN, token);
        }, () -> engine.routes().any(), engine.deadline(), () -> { }, home -> { })
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
                        throw engine.exchanges().problem(response);
                    }
                    response.headers().firstValue(ApiHeaders.TOKEN).ifPresent(this::observed);
                    return engine.json().readTree(new String(response.body(), StandardCharsets.UTF_8));
                });
    }

    private static KeyValue valueOf(JsonNode item) {
        String expiresAt = item.path("expiresAt").asString(null);
        return new KeyValue(item.path("key").asString(), Base64.getDecoder().decode(item.path("value").asString("")),
                item.path("contentType").asString("application/octet-stream"), item.path("version").asString(null),
                expiresAt == null ? null : Instant.parse(expiresAt));
    }

    // ----- writes

    /** Writes UTF-8 text as the key's value. */
    public Written put(String namespace, String key, String text) {
        return join(putAsync(namespace, key, text.getBytes(StandardCharsets.UTF_8), WriteOptions.defaults().contentType(TEXT)));
    }

    public Written put(String namespace, String key, byte[] value, WriteOptions options) {
        return join(putAsync(namespace, key, value, options));
    }

    /** Writes the value only if the key has no live value; {@link ConditionFailedException} otherwise. */
    public Written putIfAbsent(String namespace, String key, byte[] value, WriteOptions options) {
        return join(putAsync(namespace, key, value, options.onlyIfAbsent()));
    }

    /** Writes the value only if the key's version is {@code version}; {@link ConditionFailedException} otherwise. */
    public Written putIfVersion(String namespace, String key, byte[] value, String version, WriteOptions options) {
        return join(putAsync(namespace, key, value, options.ifVersion(version)));
    }

    public CompletableFuture<Written> putAsync(String namespace, String key, byte[] value, WriteOptions options) {
        // Whole seconds, rounded up: the API's ttl has no finer unit.
        String query = options.ttl() == null ? "" : "?ttl=" + Math.max(1, (options.ttl().toMillis() + 999) / 1000) + "s";
        String contentType = options.contentType() == null ? "application/octet-stream" : options.contentType();
        return write("put", namespace, key, options, query,
                request -> request.header(StandardHeaders.CONTENT_TYPE, contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(value)));
    }

    /** Deletes the key (a tombstone in the log); deleting an absent key is not an error. */
    public void delete(String namespace, String key) {
        join(deleteAsync(namespace, key, WriteOptions.defaults()));
    }

    /** Deletes the key only if its version is {@code version}; {@link ConditionFailedException} otherwise. */
    public void deleteIfVersion(String namespace, String key, String version) {
        join(deleteAsync(namespace, key, WriteOptions.defaults().ifVersion(version)));
    }

    public CompletableFuture<Written> deleteAsync(String namespace, String key, WriteOptions options) {
        return write("delete", namespace, key, options, "", HttpRequest.Builder::DELETE);
    }

    private CompletableFuture<Written> write(String operation, String namespace, String key, WriteOptions options, String query,
                                             java.util.function.UnaryOperator<HttpRequest.Builder> method) {
        LogKvClient.Engine engine = engine();
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        String path = keyPath(namespace, key) + query;
        String idempotencyKey = options.idempotencyKey() != null ? options.idempotencyKey() : UUID.randomUUID().toString();
        String token = token();
        return engine.exchanges().send(operation, true, node -> {
            HttpRequest.Builder request = method.apply(HttpRequest.newBuilder(java.net.URI.create(node + path)))
                    .header(ApiHeaders.IDEMPOTENCY_KEY, idempotencyKey);
            if (options.ifVersion() != null) {
                request.header(StandardHeaders.IF_MATCH, "\"" + options.ifVersion() + "\"");
            }
            if (options.ifAbsent()) {
                request.header(StandardHeaders.IF_NONE_MATCH, "*");
            }
            return token == null ? request : request.header(ApiHeaders.TOKEN, token);
        }, () -> engine.routes().forWrite(namespace, keyBytes), engine.deadline(), () -> engine.routes().stale(namespace),
                home -> engine.routes().home(namespace, home))
                .thenApply(response -> written(engine, response));
    }

    private Written written(LogKvClient.Engine engine, HttpResponse<byte[]> response) {
        if (response.statusCode() != 200 && response.statusCode() != 204) {
            throw engine.exchanges().problem(response);
        }
        String token = response.headers().firstValue(ApiHeaders.TOKEN).orElse(null);
        if (token != null) {
            observed(token);
        }
        return new Written(response.headers().firstValue(StandardHeaders.ETAG).map(LogKvClient::unquoted).orElse(null), token);
    }

    private static String keyPath(String namespace, String key) {
        return "/v1/namespaces/" + LogKvClient.segment(namespace) + "/keys/" + LogKvClient.segment(key);
    }

    /** The future's value, or its failure as thrown: a {@link LogKvException} as it is. */
    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }
}
