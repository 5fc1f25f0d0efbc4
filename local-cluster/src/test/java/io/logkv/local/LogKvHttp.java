package io.logkv.local;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fault tests' client of a node's HTTP API: each call returns what happened (status, the headers
 * the checks need, problem type, time taken), never throws for a failure, so that a history can record
 * every outcome, including "no answer before the deadline".
 */
final class LogKvHttp {

    static final String NAMESPACE = "default";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * What one request got.
     *
     * @param status  the HTTP status, or -1 when no answer came (then {@code error} says why)
     * @param etag    the version in {@code ETag}, without quotes, or null
     * @param token   {@code KV-Token}, or null
     * @param body    the body as text
     * @param error   why there was no answer, or null
     * @param tookNanos from sending to the answer (or the failure)
     */
    record Answer(int status, String etag, String token, String contentType, String body, String error, long tookNanos) {

        boolean ok() {
            return status == 200 || status == 204;
        }

        long tookMs() {
            return TimeUnit.NANOSECONDS.toMillis(tookNanos);
        }

        /** A 503 or 504 in {@code application/problem+json}: the clean "not now" a client may retry. */
        boolean cleanUnavailable() {
            return (status == 503 || status == 504) && contentType != null && contentType.startsWith("application/problem+json");
        }

        /** The problem's {@code type}, its last path segment (e.g. {@code owner-unreachable}), or null. */
        String problemType() {
            if (contentType == null || !contentType.startsWith("application/problem+json")) {
                return null;
            }
            try {
                String type = JSON.readTree(body).path("type").asString("");
                return type.substring(type.lastIndexOf('/') + 1);
            } catch (RuntimeException e) {
                return "unparsable";
            }
        }

        /** The problem's {@code detail}, or the body when it is not a problem. */
        String detail() {
            if (problemType() == null) {
                return abbreviate(body);
            }
            return abbreviate(JSON.readTree(body).path("detail").asString(""));
        }

        /** One line for a report. */
        String describe() {
            if (status < 0) {
                return "no answer after " + tookMs() + " ms: " + error;
            }
            String type = problemType();
            return status + (type == null ? "" : " " + type) + " after " + tookMs() + " ms"
                    + (ok() || type != null ? "" : ": " + abbreviate(body));
        }

        private static String abbreviate(String text) {
            return text.length() <= 200 ? text : text.substring(0, 200) + "...";
        }
    }

    /** A PUT of {@code value} with the key as its {@code Idempotency-Key}, bounded by {@code deadline}. */
    Answer put(String nodeUrl, String key, byte[] value, Duration deadline) {
        return send(HttpRequest.newBuilder(keyUri(nodeUrl, key))
                .timeout(deadline)
                .header("Idempotency-Key", key)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build());
    }

    /** A GET at {@code consistency} with {@code token} (may be null), waiting up to {@code waitMs} for the replica. */
    Answer get(String nodeUrl, String key, String consistency, String token, long waitMs, Duration deadline) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(keyUri(nodeUrl, key) + "?consistency=" + consistency
                + "&wait_ms=" + waitMs)).timeout(deadline).GET();
        if (token != null) {
            request.header("KV-Token", token);
        }
        return send(request.build());
    }

    /**
     * Any request on a key: {@code method} with {@code headers}, the query string {@code query} (without
     * {@code ?}, may be empty) and {@code body} (null: none), bounded by {@code deadline}.
     */
    Answer exchange(String method, String nodeUrl, String key, String query, Map<String, String> headers, byte[] body,
                    Duration deadline) {
        URI uri = URI.create(keyUri(nodeUrl, key) + (query.isEmpty() ? "" : "?" + query));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(deadline)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return send(request.build());
    }

    /**
     * The version each key has at {@code consistency}, read through {@code nodeUrl} with batch-gets of at
     * most 500 keys; a key that is not found maps to null.
     *
     * @throws AssertionError when a batch is not answered 200
     */
    Map<String, String> versions(String nodeUrl, List<String> keys, String consistency) {
        Map<String, String> versions = new LinkedHashMap<>();
        for (int from = 0; from < keys.size(); from += 500) {
            List<String> batch = keys.subList(from, Math.min(keys.size(), from + 500));
            Answer answer = send(HttpRequest.newBuilder(URI.create(nodeUrl + "/v1/namespaces/" + NAMESPACE
                            + "/batch-get?consistency=" + consistency + "&wait_ms=10000"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("keys", batch)))).build());
            if (answer.status() != 200) {
                throw new AssertionError("batch-get through " + nodeUrl + ": " + answer.describe() + " " + answer.body());
            }
            for (JsonNode item : JSON.readTree(answer.body()).path("items")) {
                versions.put(item.path("key").asString(), item.path("found").asBoolean() ? item.path("version").asString() : null);
            }
        }
        return versions;
    }

    /** The owner URL of each partition of the namespace that has one, as {@code nodeUrl} sees the writers' group. */
    Optional<Map<Integer, String>> owners(String nodeUrl) {
        Answer answer = send(HttpRequest.newBuilder(URI.create(nodeUrl + "/v1/namespaces/" + NAMESPACE))
                .timeout(Duration.ofSeconds(5)).build());
        if (answer.status() != 200) {
            return Optional.empty();
        }
        Map<Integer, String> owners = new HashMap<>();
        for (JsonNode partition : JSON.readTree(answer.body()).path("topology")) {
            JsonNode owner = partition.path("owner");
            // null while ownership moves
            if (!owner.isNull() && !owner.isMissingNode()) {
                owners.put(partition.path("partition").asInt(), owner.asString());
            }
        }
        return Optional.of(owners);
    }

    /** The digest comparison of every partition's replicas ({@code GET /v1/admin/namespaces/{ns}/digests}). */
    JsonNode digests(String nodeUrl) {
        Answer answer = send(HttpRequest.newBuilder(URI.create(nodeUrl + "/v1/admin/namespaces/" + NAMESPACE + "/digests?wait_ms=10000"))
                .timeout(Duration.ofSeconds(60)).build());
        if (answer.status() != 200) {
            throw new AssertionError("digests through " + nodeUrl + ": " + answer.describe() + " " + answer.body());
        }
        return JSON.readTree(answer.body());
    }

    private static URI keyUri(String nodeUrl, String key) {
        return URI.create(nodeUrl + "/v1/namespaces/" + NAMESPACE + "/keys/" + URLEncoder.encode(key, StandardCharsets.UTF_8));
    }

    private Answer send(HttpRequest request) {
        long started = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            String etag = response.headers().firstValue("ETag").map(tag -> tag.replace("\"", "")).orElse(null);
            return new Answer(response.statusCode(), etag, response.headers().firstValue("KV-Token").orElse(null),
                    response.headers().firstValue("Content-Type").orElse(null), response.body(), null, System.nanoTime() - started);
        } catch (IOException e) {
            return new Answer(-1, null, null, null, "", e.toString(), System.nanoTime() - started);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, null, null, null, "", "interrupted", System.nanoTime() - started);
        }
    }
}
