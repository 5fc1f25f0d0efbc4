package io.logkv.query;

import com.nimbusds.jwt.JWTClaimsSet;
import io.logkv.testkit.KafkaTestCluster;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every endpoint against every right, with API keys and with JWTs: no credentials or credentials the node
 * does not accept answer {@code 401 unauthenticated}, a caller without the endpoint's right {@code 403 forbidden}
 * (both RFC 9457 problems), and a caller with it is served. The health probes and the API document need nothing.
 */
@Tag("integration")
class AuthorizationMatrixIT {

    private static final String NS = "sec-matrix";
    private static final List<String> ROLES = List.of("reader", "writer", "ns-admin", "root", "outsider");
    private static final Set<String> EVERYONE = Set.copyOf(ROLES);
    private static final Set<String> OPEN = Set.of("anonymous");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dataDir;
    static LogKvNode node;

    @BeforeAll
    static void startSecuredNode() {
        node = LogKvNode.start("sec-matrix", KafkaTestCluster.shared().bootstrapServers(), dataDir, SecuredNodes.args());
        HttpResponse<String> created = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + NS)))
                .header("Authorization", "ApiKey " + SecuredNodes.apiKey("root"))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"partitions\":2}")));
        assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
        HttpResponse<String> written = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(NS, "k")))
                .header("Authorization", "ApiKey " + SecuredNodes.apiKey("writer")).PUT(HttpRequest.BodyPublishers.ofString("v")));
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    /** An endpoint, and who may call it. */
    private record Endpoint(String method, String path, String body, Set<String> allowed) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static List<Endpoint> endpoints() {
        String key = "/v1/namespaces/" + NS + "/keys/k";
        return List.of(
                new Endpoint("GET", key, null, Set.of("reader")),
                new Endpoint("HEAD", key, null, Set.of("reader")),
                new Endpoint("PUT", key, "v", Set.of("writer")),
                new Endpoint("DELETE", "/v1/namespaces/" + NS + "/keys/gone", null, Set.of("writer")),
                new Endpoint("POST", "/v1/namespaces/" + NS + "/batch-get", "{\"keys\":[\"k\"]}", Set.of("reader")),
                new Endpoint("GET", "/v1/namespaces/" + NS + "/keys?prefix=k", null, Set.of("reader")),
                new Endpoint("GET", "/v1/namespaces/" + NS + "/watch", null, Set.of("reader")),
                new Endpoint("GET", "/v1/namespaces/other-ns/keys/k", null, Set.of("outsider")),
                new Endpoint("GET", "/v1/namespaces", null, EVERYONE),
                new Endpoint("GET", "/v1/namespaces/" + NS, null, Set.of("reader", "writer", "ns-admin", "root")),
                new Endpoint("PUT", "/v1/namespaces/" + NS, "{\"partitions\":2}", Set.of("ns-admin", "root")),
                new Endpoint("DELETE", "/v1/namespaces/sec-never-created", null, Set.of("ns-admin", "root")),
                new Endpoint("GET", "/v1/admin/replicas", null, Set.of("root")),
                new Endpoint("GET", "/v1/admin/rebuilds", null, Set.of("root")),
                new Endpoint("GET", "/v1/admin/namespaces/" + NS + "/snapshots", null, Set.of("ns-admin", "root")),
                new Endpoint("GET", "/v1/admin/namespaces/" + NS + "/partitions/0/digests?wait_ms=100", null, Set.of("ns-admin", "root")),
                new Endpoint("POST", "/v1/admin/namespaces/sec-never-created/rebuild", null, Set.of("ns-admin", "root")),
                new Endpoint("GET", "/actuator/prometheus", null, Set.of("root")),
                new Endpoint("GET", "/actuator/health", null, Set.of("root")),
                new Endpoint("GET", "/actuator/info", null, Set.of("root")),
                new Endpoint("POST", "/v1/internal/reads", "", Set.of()),
                new Endpoint("GET", "/actuator/health/liveness", null, OPEN),
                new Endpoint("GET", "/actuator/health/readiness", null, OPEN),
                new Endpoint("GET", "/v1/openapi.yaml", null, OPEN),
                new Endpoint("GET", "/ui/", null, OPEN),
                new Endpoint("GET", "/ui/status.js", null, OPEN));
    }

    @Test
    void everyEndpointAnswers401WithoutCredentials403WithoutItsRightAndServesACallerWithIt() throws Exception {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Endpoint endpoint : endpoints()) {
            boolean open = endpoint.allowed() == OPEN;
            Map<String, String> callers = new LinkedHashMap<>();
            callers.put("anonymous", null);
            for (String role : ROLES) {
                callers.put(role + " (API key)", "ApiKey " + SecuredNodes.apiKey(role));
                callers.put(role + " (JWT)", "Bearer " + SecuredNodes.jwt(role));
            }
            for (Map.Entry<String, String> caller : callers.entrySet()) {
                String role = caller.getKey().split(" ")[0];
                Answer answer = call(endpoint, caller.getValue());
                checked++;
                String expected;
                if (open || endpoint.allowed().contains(role)) {
                    expected = "served";
                    if (answer.status() == 401 || answer.status() == 403 || answer.status() >= 500 && answer.status() != 503) {
                        wrong.add(endpoint + " as " + caller.getKey() + ": expected to be served, got " + answer);
                    }
                    continue;
                }
                int status = caller.getValue() == null ? 401 : 403;
                expected = status == 401 ? "unauthenticated" : "forbidden";
                boolean bodyless = endpoint.method().equals("HEAD");
                if (answer.status() != status || !bodyless && !answer.body().contains("\"type\":\"/problems/" + expected + "\"")
                        || !answer.contentType().equals("application/problem+json")) {
                    wrong.add(endpoint + " as " + caller.getKey() + ": expected " + status + " " + expected + ", got " + answer);
                }
            }
        }
        System.out.printf("authorization matrix: %d requests checked%n", checked);
        assertThat(wrong).isEmpty();
    }

    @Test
    void credentialsTheNodeDoesNotAcceptAnswer401() throws Exception {
        Endpoint read = endpoints().get(0);
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("an unknown API key", "ApiKey lkv_not_a_key_this_node_knows");
        refused.put("an empty API key", "ApiKey ");
        refused.put("a malformed JWT", "Bearer not.a.jwt");
        refused.put("an expired JWT", "Bearer " + SecuredNodes.jwt("reader", Duration.ofMinutes(-5), SecuredNodes.JWT_SECRET));
        refused.put("a JWT signed with another secret", "Bearer " + SecuredNodes.jwt("reader", Duration.ofMinutes(5),
                "another secret of 32 bytes or more, not the node's"));
        refused.put("a JWT without a subject", "Bearer " + SecuredNodes.sign(new JWTClaimsSet.Builder()
                .expirationTime(new Date(System.currentTimeMillis() + 60_000)).claim("logkv_grants", List.of("read:*")).build(),
                SecuredNodes.JWT_SECRET));
        refused.put("a JWT with malformed grants", "Bearer " + SecuredNodes.sign(new JWTClaimsSet.Builder().subject("x")
                .expirationTime(new Date(System.currentTimeMillis() + 60_000)).claim("logkv_grants", List.of("read everything")).build(),
                SecuredNodes.JWT_SECRET));
        refused.put("another scheme", "Basic cmVhZGVyOnJlYWRlcg==");
        for (Map.Entry<String, String> credentials : refused.entrySet()) {
            Answer answer = call(read, credentials.getValue());
            assertThat(answer.status()).as(credentials.getKey() + ": " + answer).isEqualTo(401);
            assertThat(answer.body()).as(credentials.getKey()).contains("\"type\":\"/problems/unauthenticated\"");
            assertThat(answer.contentType()).isEqualTo("application/problem+json");
        }
    }

    @Test
    void aNodeWithoutSecurityConfigurationRefusesToStartUnlessToldToRunOpen(@TempDir Path elsewhere) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LogKvNode.start("sec-unconfigured",
                        KafkaTestCluster.shared().bootstrapServers(), elsewhere, "--logkv.security.mode=secured").close())
                .hasStackTraceContaining("logkv.security.mode is secured (the default) but callers' credentials")
                .hasStackTraceContaining("the keys nodes sign forwarded requests with")
                .hasStackTraceContaining("the keys consistency tokens are signed with")
                .hasStackTraceContaining("set logkv.security.mode=open");
    }

    @Test
    void theNamespaceListHoldsOnlyWhatTheCallerMaySee() {
        assertThat(list("reader")).contains("\"" + NS + "\"");
        assertThat(list("root")).contains("\"" + NS + "\"");
        assertThat(list("outsider")).doesNotContain("\"" + NS + "\"").doesNotContain("\"default\"");
    }

    @Test
    void aNamespaceAdminCreatesAndDeletesNamespacesOfItsPatternOnly() {
        assertThat(asRole("ns-admin", "PUT", "/v1/namespaces/sec-temp", "{\"partitions\":1}").statusCode()).isEqualTo(201);
        assertThat(asRole("ns-admin", "PUT", "/v1/namespaces/elsewhere", "{\"partitions\":1}").statusCode()).isEqualTo(403);
        assertThat(asRole("ns-admin", "DELETE", "/v1/namespaces/sec-temp", null).statusCode()).isEqualTo(204);
        assertThat(list("root")).doesNotContain("\"sec-temp\"").doesNotContain("\"elsewhere\"");
    }

    private static String list(String role) {
        HttpResponse<String> answer = asRole(role, "GET", "/v1/namespaces", null);
        assertThat(answer.statusCode()).isEqualTo(200);
        return answer.body();
    }

    private static HttpResponse<String> asRole(String role, String method, String path, String body) {
        return node.send(HttpRequest.newBuilder(URI.create(node.url(path)))
                .header("Authorization", "ApiKey " + SecuredNodes.apiKey(role)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
    }

    private record Answer(int status, String contentType, String body) {
    }

    /** One request; a stream that opens (a watch) is read no further than its headers. */
    private static Answer call(Endpoint endpoint, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url(endpoint.path()))).timeout(Duration.ofSeconds(30))
                .method(endpoint.method(), endpoint.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(endpoint.body()));
        if (endpoint.body() != null && endpoint.body().startsWith("{")) {
            request.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        try (InputStream body = response.body()) {
            String text = contentType.startsWith("text/event-stream") ? "(a stream)" : new String(body.readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
            return new Answer(response.statusCode(), contentType, text.length() > 300 ? text.substring(0, 300) + "..." : text);
        }
    }
}
