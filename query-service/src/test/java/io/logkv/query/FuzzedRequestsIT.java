package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.testkit.KafkaTestCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input at scale: 10,000 generated requests (100 tries of 100, sent concurrently) against every
 * endpoint, with broken and oversized paths, keys, namespaces, headers, tokens, conditions, query
 * parameters and bodies, mixed with well-formed ones. No answer may be a 500 (the error handler's
 * catch-all counts as a failure) or any 5xx but 503; every error is an RFC 9457 problem; the node stays
 * up; and the log holds no write the node did not acknowledge. A failing try prints its seed; jqwik
 * replays it first on the next run.
 */
@Tag("integration")
class FuzzedRequestsIT {

    private static final NamespaceName NS = new NamespaceName("fuzz-" + Long.toString(System.nanoTime(), 36));
    private static final int PARTITIONS = 2;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    private static Path dataDir;
    private static LogKvNode node;
    private static ExecutorService clients;
    private static final Set<String> acknowledgedVersions = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger ambiguousWrites = new AtomicInteger();
    private static final AtomicInteger requests = new AtomicInteger();
    private static final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();

    @BeforeContainer
    static void startNode() throws IOException {
        dataDir = Files.createTempDirectory("logkv-fuzz");
        node = LogKvNode.start("fuzz", KafkaTestCluster.shared().bootstrapServers(), dataDir, "--logkv.replicas.max-wait=2s");
        assertThat(node.putNamespace(NS.value(), "{\"partitions\":" + PARTITIONS + "}").statusCode()).isIn(200, 201);
        clients = Executors.newFixedThreadPool(32);
    }

    @AfterContainer
    static void checkTheLogAndStop() throws Exception {
        try {
            System.out.printf("fuzzed requests: %d, answers by status %s, acknowledged writes %d, ambiguous writes %d%n",
                    requests.get(), new java.util.TreeMap<>(statuses), acknowledgedVersions.size(), ambiguousWrites.get());
            HttpResponse<String> health = node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/health/liveness"))).GET());
            assertThat(health.statusCode()).as("the node is alive after the fuzzing: " + health.body()).isEqualTo(200);
            List<String> unacknowledged = new ArrayList<>();
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(NS.truthTopic(), p));
            }
            // The compactor's expiry tombstones answer no client: each must follow the value it expires.
            java.util.Map<String, Long> expiryOfLatestValue = new java.util.HashMap<>();
            List<String> strayExpiries = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> record : KafkaTestCluster.shared().readCommitted(partitions)) {
                if (record.key() == null || record.key().length == 0) {
                    continue; // a progress marker
                }
                String key = new String(record.key(), StandardCharsets.UTF_8);
                long expiredAt = io.logkv.core.Tombstones.expiredAtOf(record.headers());
                if (record.value() == null && expiredAt != 0) {
                    if (!Long.valueOf(expiredAt).equals(expiryOfLatestValue.remove(key))) {
                        strayExpiries.add(key + " expired at " + expiredAt);
                    }
                    continue;
                }
                if (record.value() != null) {
                    expiryOfLatestValue.put(key, RecordEnvelope.decode(record.value()).expiresAtMs());
                } else {
                    expiryOfLatestValue.remove(key);
                }
                String version = record.value() != null ? RecordEnvelope.decode(record.value()).version().text() : tombstoneVersion(record);
                if (!acknowledgedVersions.contains(version)) {
                    unacknowledged.add(new String(record.key(), StandardCharsets.UTF_8) + "@" + version);
                }
            }
            assertThat(unacknowledged.size()).as("records in the log that no answer acknowledged: %s", unacknowledged)
                    .isLessThanOrEqualTo(ambiguousWrites.get());
            assertThat(strayExpiries).as("expiry tombstones that follow no value with that expiry").isEmpty();
        } finally {
            clients.shutdownNow();
            node.close();
        }
    }

    @Property(tries = 100, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.SAMPLE_FIRST)
    void everyAnswerIsAProblemOrASuccessAndNeverA500(@ForAll @Size(100) List<@From("requests") Fuzzed> batch) throws Exception {
        List<Future<String>> answers = new ArrayList<>();
        for (Fuzzed request : batch) {
            answers.add(clients.submit(() -> check(request)));
        }
        List<String> violations = new ArrayList<>();
        for (Future<String> answer : answers) {
            String violation = answer.get(60, TimeUnit.SECONDS);
            if (violation != null) {
                violations.add(violation);
            }
        }
        assertThat(violations).isEmpty();
    }

    /** Sends one request; null when its answer is acceptable, else what was wrong. */
    private static String check(Fuzzed request) {
        HttpRequest.Builder builder;
        try {
            builder = HttpRequest.newBuilder(URI.create(node.url(request.path()))).timeout(Duration.ofSeconds(30));
        } catch (IllegalArgumentException notAUri) {
            return null; // the client refuses to send it: nothing reached the node
        }
        try {
            request.headers().forEach(builder::header);
        } catch (IllegalArgumentException refusedHeader) {
            return null;
        }
        builder.method(request.method(), request.body() == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        HttpResponse<String> answer;
        try {
            answer = request.isStream() ? streamHead(builder.build()) : HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return request + " -> no answer: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return request + " -> interrupted";
        }
        requests.incrementAndGet();
        int status = answer.statusCode();
        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        boolean keyWrite = request.isKeyWrite();
        if (keyWrite && status / 100 == 2) {
            answer.headers().firstValue("ETag").ifPresent(etag -> acknowledgedVersions.add(etag.replace("\"", "")));
        }
        if (keyWrite && status == 503) {
            ambiguousWrites.incrementAndGet();
        }
        if (status == 500 || status >= 600 || (status >= 500 && status != 503)) {
            return request + " -> " + status + " " + abbreviate(answer.body());
        }
        if (status == 503 && request.path().startsWith("/actuator/health") && answer.body().contains("\"status\":\"")) {
            // The health endpoints answer orchestrators in the actuator's own form: DOWN (say, while a namespace the
            // fuzzer created is still replaying) is a 503 with the health document, not a problem.
            return null;
        }
        if (status >= 400 && !request.method().equals("HEAD")) {
            String type = answer.headers().firstValue("Content-Type").orElse("");
            if (!type.startsWith("application/problem+json") || !answer.body().contains("\"type\":\"/problems/")) {
                return request + " -> " + status + " without a problem document: " + type + " " + abbreviate(answer.body());
            }
        }
        if (status == 503 && answer.headers().firstValue("Retry-After").isEmpty()) {
            return request + " -> 503 without Retry-After";
        }
        return null;
    }

    /**
     * A request that may open a change stream (which never ends by itself): its status and headers, and its
     * body only when it is a problem; the stream itself is closed at once.
     */
    private static HttpResponse<String> streamHead(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<java.io.InputStream> opened = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        String body = "";
        try (java.io.InputStream in = opened.body()) {
            if (opened.statusCode() >= 300) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        String text = body;
        return new HttpResponse<>() {
            @Override
            public int statusCode() {
                return opened.statusCode();
            }

            @Override
            public HttpRequest request() {
                return opened.request();
            }

            @Override
            public java.util.Optional<HttpResponse<String>> previousResponse() {
                return java.util.Optional.empty();
            }

            @Override
            public java.net.http.HttpHeaders headers() {
                return opened.headers();
            }

            @Override
            public String body() {
                return text;
            }

            @Override
            public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
                return opened.sslSession();
            }

            @Override
            public URI uri() {
                return opened.uri();
            }

            @Override
            public HttpClient.Version version() {
                return opened.version();
            }
        };
    }

    private static String tombstoneVersion(ConsumerRecord<byte[], byte[]> record) {
        io.logkv.core.Version version = io.logkv.core.Tombstones.versionOf(record.headers());
        return version == null ? "(no version)" : version.text();
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    // --- what is generated --------------------------------------------------------------------------------

    /** One request: only what can be sent over HTTP/1.1 by a client (printable header values). */
    record Fuzzed(String method, String path, Map<String, String> headers, byte[] body) {

        /** Whether it may open a change stream ({@code GET …/watch}), which ends only when its client leaves. */
        boolean isStream() {
            return path.matches("/v1/namespaces/[^/?]*/watch(\\?.*)?");
        }

        boolean isKeyWrite() {
            return (method.equals("PUT") || method.equals("DELETE")) && path.startsWith("/v1/namespaces/" + NS.value() + "/keys/");
        }

        @Override
        public String toString() {
            return method + " " + abbreviate(path) + " " + headers.keySet() + (body == null ? "" : " body " + body.length + " bytes");
        }
    }

    @Provide
    Arbitrary<Fuzzed> requests() {
        Arbitrary<String> method = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.just("GET")), net.jqwik.api.Tuple.of(30, Arbitraries.just("PUT")),
                net.jqwik.api.Tuple.of(10, Arbitraries.just("DELETE")), net.jqwik.api.Tuple.of(15, Arbitraries.just("POST")),
                net.jqwik.api.Tuple.of(5, Arbitraries.of("HEAD", "PATCH", "OPTIONS")));
        return Combinators.combine(method, paths(), headers(), bodies())
                .as((m, path, headers, body) -> new Fuzzed(m, path, headers, m.equals("GET") || m.equals("HEAD") || m.equals("DELETE") ? null : body))
                .filter(FuzzedRequestsIT::leavesOtherNamespacesAlone);
    }

    /**
     * Nothing generated may create or delete a namespace, or rebuild a replica (the log check relies on
     * it): a PUT or DELETE of a namespace resource is kept only for a name that is not legal (once
     * percent-decoded), or as a PUT of the fuzzed namespace itself (which exists: 200, or 409 for other settings).
     */
    private static boolean leavesOtherNamespacesAlone(Fuzzed request) {
        String path = request.path();
        java.util.regex.Matcher resource = java.util.regex.Pattern.compile("/v1/namespaces/([^/?]*)(\\?.*)?").matcher(path);
        if (resource.matches() && (request.method().equals("PUT") || request.method().equals("DELETE"))) {
            String name = percentDecode(resource.group(1));
            return request.method().equals("PUT") && name.equals(NS.value()) || !NamespaceName.isLegal(name);
        }
        return !(path.startsWith("/v1/admin/") && request.method().equals("POST"));
    }

    private static String percentDecode(String segment) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '%' && i + 2 < segment.length() && Character.digit(segment.charAt(i + 1), 16) >= 0
                    && Character.digit(segment.charAt(i + 2), 16) >= 0) {
                bytes.write(Integer.parseInt(segment.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private Arbitrary<String> paths() {
        Arbitrary<String> ns = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(60, Arbitraries.just(NS.value())),
                net.jqwik.api.Tuple.of(10, Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12).map(s -> "nx-" + s)),
                net.jqwik.api.Tuple.of(15, Arbitraries.of("", "UPPER", "a_b", "%zz", "%", "keys", "..", "-", "a".repeat(300), "%F0%9F%98%80",
                        "default%2Fx", "batch-get", "%00")),
                net.jqwik.api.Tuple.of(5, Arbitraries.strings().ofMaxLength(20).map(FuzzedRequestsIT::percentEncode)));
        Arbitrary<String> key = keys();
        Arbitrary<String> query = queries();
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(50, Combinators.combine(ns, key, query).as((n, k, q) -> "/v1/namespaces/" + n + "/keys/" + k + q)),
                net.jqwik.api.Tuple.of(15, Combinators.combine(ns, query).as((n, q) -> "/v1/namespaces/" + n + "/batch-get" + q)),
                net.jqwik.api.Tuple.of(10, Combinators.combine(ns, query).as((n, q) -> "/v1/namespaces/" + n + q)),
                net.jqwik.api.Tuple.of(3, query.map(q -> "/v1/namespaces" + q)),
                net.jqwik.api.Tuple.of(10, Combinators.combine(ns, Arbitraries.of("0", "1", "-1", "99999999999", "x", ""), query)
                        .as((n, p, q) -> "/v1/admin/namespaces/" + n + "/partitions/" + p + "/digest" + q)),
                net.jqwik.api.Tuple.of(5, Combinators.combine(ns, query).as((n, q) -> "/v1/admin/namespaces/" + n + "/digests" + q)),
                net.jqwik.api.Tuple.of(3, Arbitraries.of("/v1/admin/replicas", "/v1/admin/rebuilds", "/v1/openapi.yaml", "/actuator/health",
                        "/v1/namespaces/" + NS.value() + "/keys", "/v1/namespaces/" + NS.value() + "/keys/", "/v1/namespaces//keys/k",
                        "/v1/namespaces/" + NS.value() + "/keys/a/b", "/v1/namespaces/" + NS.value() + "/watch", "/nope", "/v1/")),
                net.jqwik.api.Tuple.of(4, Combinators.combine(ns, query).as((n, q) -> "/v1/admin/namespaces/" + n + "/rebuild" + q)));
    }

    private Arbitrary<String> keys() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(40, Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(16)),
                net.jqwik.api.Tuple.of(20, Arbitraries.strings().ofMinLength(1).ofMaxLength(40).map(FuzzedRequestsIT::percentEncode)),
                net.jqwik.api.Tuple.of(15, Arbitraries.of("%", "%G1", "%2", "%E2%82", "%C3%28", "%FF%FE", "%2F", "%5C", "a%2Fb", "..", ".",
                        "%2E%2E", "%00", "%0A", "x;y", "a%20b", "%F0%9F%98%80")),
                net.jqwik.api.Tuple.of(10, Arbitraries.integers().between(1000, 1100).map(n -> "k".repeat(n))),
                net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(330, 380).map(n -> "%E2%82%AC".repeat(n))),
                net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(3000, 9000).map(n -> "z".repeat(n))));
    }

    private Arbitrary<String> queries() {
        Arbitrary<String> consistency = Arbitraries.of("eventual", "session", "strong", "STRONG", "", "linear", "%00");
        Arbitrary<String> waitMs = Arbitraries.of("0", "50", "200", "-1", "2001", "99999999999999999999", "1.5", "x", "");
        Arbitrary<String> ttl = Arbitraries.of("1s", "2", "0", "-5", "1h", "10d", "999999999d", "abc", "1x", "", "9223372036854775807s");
        Arbitrary<String> position = Arbitraries.of("0", "-1", "1", "99999999999999", "x");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.just("")),
                net.jqwik.api.Tuple.of(20, Combinators.combine(consistency, waitMs).as((c, w) -> "?consistency=" + c + "&wait_ms=" + w)),
                net.jqwik.api.Tuple.of(15, ttl.map(t -> "?ttl=" + t)),
                net.jqwik.api.Tuple.of(10, waitMs.map(w -> "?wait_ms=" + w)),
                net.jqwik.api.Tuple.of(10, position.map(p -> "?position=" + p + "&wait_ms=0")),
                net.jqwik.api.Tuple.of(5, Arbitraries.strings().ofMaxLength(30).map(s -> "?" + percentEncode(s) + "=" + percentEncode(s))),
                net.jqwik.api.Tuple.of(5, Arbitraries.of("?ttl=1s&ttl=2s", "?consistency=strong&consistency=eventual", "?&&=", "?wait_ms")));
    }

    private Arbitrary<Map<String, String>> headers() {
        Arbitrary<String> printable = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(60).map(String::strip);
        Arbitrary<String> token = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(40, Arbitraries.strings().withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_").ofMaxLength(40)),
                net.jqwik.api.Tuple.of(20, printable),
                net.jqwik.api.Tuple.of(10, Arbitraries.integers().between(5000, 20000).map("A"::repeat)),
                net.jqwik.api.Tuple.of(10, Arbitraries.of("AQEFbkK1DAE", "AQGR8-IrBY7mAQ", "AQ", "AQEFbkK1DAE, ,", ",")));
        Arbitrary<String> condition = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.of("*", "\"01a2287f15ce00008a6aae1a\"", "W/\"x\"", "\"\"", "\"", "*, \"a\"")),
                net.jqwik.api.Tuple.of(20, Arbitraries.bytes().array(byte[].class).ofSize(12).map(b -> "\"" + HexFormat.of().formatHex(b) + "\"")),
                net.jqwik.api.Tuple.of(20, printable));
        Arbitrary<String> idempotency = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20)),
                net.jqwik.api.Tuple.of(10, Arbitraries.integers().between(250, 400).map("i"::repeat)),
                net.jqwik.api.Tuple.of(10, printable));
        Arbitrary<String> contentType = Arbitraries.of("text/plain", "application/json", "application/octet-stream", "image/png",
                "text/plain; charset=utf-8", "x", "/", "a/b/c", "text/" + "p".repeat(300), "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded");
        Arbitrary<String> timeLeft = Arbitraries.of("0", "5", "1000", "-1", "x", "99999999999999999999");
        return Combinators.combine(
                        token.injectNull(0.5), condition.injectNull(0.7), condition.injectNull(0.85), idempotency.injectNull(0.7),
                        contentType.injectNull(0.4), timeLeft.injectNull(0.9), Arbitraries.of("node-x", "").injectNull(0.9),
                        Arbitraries.of("application/json", "text/html", "*/*", "nope").injectNull(0.8))
                .as((t, ifMatch, ifNoneMatch, idem, type, left, forwardedBy, accept) -> {
                    Map<String, String> headers = new LinkedHashMap<>();
                    putIfPresent(headers, "KV-Token", t);
                    putIfPresent(headers, "If-Match", ifMatch);
                    putIfPresent(headers, "If-None-Match", ifNoneMatch);
                    putIfPresent(headers, "Idempotency-Key", idem);
                    putIfPresent(headers, "Content-Type", type);
                    putIfPresent(headers, "KV-Time-Left-Ms", left);
                    putIfPresent(headers, "KV-Forwarded-By", forwardedBy);
                    putIfPresent(headers, "Accept", accept);
                    return headers;
                });
    }

    private Arbitrary<byte[]> bodies() {
        Arbitrary<String> batchKey = Arbitraries.strings().ofMaxLength(12).map(s -> s.replace("\"", "").replace("\\", ""));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.bytes().array(byte[].class).ofMaxSize(2048)),
                net.jqwik.api.Tuple.of(15, batchKey.list().ofMaxSize(8).map(keys -> json("{\"keys\":" + quoted(keys) + "}"))),
                net.jqwik.api.Tuple.of(15, Arbitraries.of("{", "[]", "null", "{\"keys\":\"a\"}", "{\"keys\":[1,2]}", "{\"keys\":[null]}",
                        "{\"keys\":[]}", "{\"partitions\":0}", "{\"partitions\":5000}", "{\"partitions\":\"x\"}", "{\"partitions\":-1}",
                        "{\"defaultTtlSeconds\":-1,\"partitions\":0}", "{\"keys\":{\"a\":1}}", "\u0000", "{\"keys\":[\"" + "k".repeat(2000) + "\"]}")
                        .map(FuzzedRequestsIT::json)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1001, 1500).map(n -> json("{\"keys\":" + quoted(
                        java.util.stream.IntStream.range(0, n).mapToObj(i -> "k" + i).toList()) + "}"))),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between((1 << 20) + 1, (1 << 20) + 64).map(byte[]::new)),
                net.jqwik.api.Tuple.of(5, Arbitraries.just(new byte[0])));
    }

    private static void putIfPresent(Map<String, String> headers, String name, String value) {
        if (value != null) {
            headers.put(name, value);
        }
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String quoted(List<String> keys) {
        return keys.stream().map(k -> "\"" + k + "\"").collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    private static String percentEncode(String text) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            encoded.append('%').append(String.format("%02X", b));
        }
        return encoded.toString();
    }
}
