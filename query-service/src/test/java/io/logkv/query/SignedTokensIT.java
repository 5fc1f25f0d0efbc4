package io.logkv.query;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.logkv.core.SignedTokens;
import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Consistency tokens carry a MAC: a node honours only tokens signed by a key it holds, so a client cannot make
 * up positions that hold its reads waiting; keys rotate without breaking live sessions. And a client cannot use
 * up a node's waiting reads: they are bounded per client and per namespace.
 */
@Tag("integration")
class SignedTokensIT {

    private static final String T1 = "--logkv.security.tokens.keys.t1=" + SecuredNodes.TOKEN_KEY_1;
    private static final String T2 = "--logkv.security.tokens.keys.t2=" + SecuredNodes.TOKEN_KEY_2;
    private final NamespaceName ns = new NamespaceName("sec-tokens-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void forgedAlteredAndUnsignedTokensAre400AndAPreviousKeyVerifiesUntilItIsRotatedOut() {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        Path data = dataDir.resolve("node");
        String signedByT1;
        try (LogKvNode node = LogKvNode.start("sec-tokens", kafka, data, SecuredNodes.args("--logkv.writer.group-id=sec-tokens"))) {
            createNamespace(node);
            HttpResponse<String> written = as(node, "writer", "PUT", node.keyUrl(ns.value(), "k"), "v");
            assertThat(written.statusCode()).isEqualTo(200);
            signedByT1 = written.headers().firstValue("KV-Token").orElseThrow();
            assertThat(Base64.getUrlDecoder().decode(signedByT1)[0]).as("signed format").isEqualTo((byte) 2);
            assertThat(written.body()).contains("\"token\":\"" + signedByT1 + "\"");

            HttpResponse<String> read = read(node, signedByT1);
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(SignedTokens.isSigned(read.headers().firstValue("KV-Token").orElseThrow())).isTrue();

            ConsistencyToken claimed = ConsistencyToken.decode(signedByT1);
            ConsistencyToken farAhead = ConsistencyToken.of(ns, new LogPosition(0, 1_000_000_000L));
            Map<String, String> refused = new java.util.LinkedHashMap<>();
            refused.put("altered", altered(signedByT1));
            refused.put("forged with another key under the same id", new SignedTokens("t1",
                    Map.of("t1", "a key the client made up, thirty-two bytes".getBytes(StandardCharsets.UTF_8))).sign(farAhead));
            refused.put("unsigned", claimed.encode());
            refused.put("unsigned, far ahead", farAhead.encode());
            refused.put("unsigned, of ingest positions", ConsistencyToken.ofIngest(ns, new LogPosition(0, 5)).encode());
            refused.put("signed then mixed with an unsigned one", signedByT1 + "," + farAhead.encode());
            for (Map.Entry<String, String> token : refused.entrySet()) {
                for (HttpResponse<String> answer : List.of(read(node, token.getValue()),
                        as(node, "writer", "PUT", node.keyUrl(ns.value(), "k2"), "v", "KV-Token", token.getValue()),
                        as(node, "reader", "POST", node.url("/v1/namespaces/" + ns.value() + "/batch-get"), "{\"keys\":[\"k\"]}",
                                "KV-Token", token.getValue(), "Content-Type", "application/json"),
                        as(node, "reader", "GET", node.url("/v1/namespaces/" + ns.value() + "/keys"), null, "KV-Token", token.getValue()),
                        as(node, "reader", "GET", node.url("/v1/namespaces/" + ns.value() + "/watch"), null,
                                "Last-Event-ID", token.getValue()))) {
                    assertThat(answer.statusCode()).as(token.getKey() + ": " + answer.request().uri() + " " + answer.body()).isEqualTo(400);
                    assertThat(answer.body()).contains("/problems/bad-token");
                }
            }
            assertThat(as(node, "reader", "GET", node.keyUrl(ns.value(), "k2"), null).statusCode()).as("nothing written").isEqualTo(404);
        }

        // Rotation, step 1: every node learns t2 and signs with it; tokens signed with t1 still verify.
        String signedByT2;
        try (LogKvNode node = LogKvNode.start("sec-tokens", kafka, data, SecuredNodes.args("--logkv.writer.group-id=sec-tokens",
                "--logkv.security.tokens.signing-key-id=t2", T1, T2))) {
            HttpResponse<String> read = read(node, signedByT1);
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            signedByT2 = read.headers().firstValue("KV-Token").orElseThrow();
            assertThat(keyId(signedByT2)).isEqualTo("t2");
            assertThat(ConsistencyToken.decode(signedByT2).covers(ConsistencyToken.decode(signedByT1))).isTrue();
        }

        // Step 2, once sessions have moved on: t1 is dropped, and what it signed is refused.
        try (LogKvNode node = LogKvNode.start("sec-tokens", kafka, data, SecuredNodes.args("--logkv.writer.group-id=sec-tokens",
                "--logkv.security.tokens.signing-key-id=t2", T2))) {
            assertThat(read(node, signedByT2).statusCode()).isEqualTo(200);
            HttpResponse<String> old = read(node, signedByT1);
            assertThat(old.statusCode()).isEqualTo(400);
            assertThat(old.body()).contains("/problems/bad-token").contains("rotated out");
        }
    }

    @Test
    void unsignedIngestTokensAreAcceptedWhenConfiguredAndWaitingReadsAreBoundedPerClientAndPerNamespace() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode node = LogKvNode.start("sec-waits", kafka, dataDir.resolve("waits"), SecuredNodes.args(
                "--logkv.writer.group-id=sec-waits", "--logkv.security.tokens.accept-unsigned-ingest=true",
                "--logkv.replicas.max-waiting-reads-per-client=2", "--logkv.replicas.max-waiting-reads-per-namespace=3"))) {
            createNamespace(node);
            assertThat(as(node, "writer", "PUT", node.keyUrl(ns.value(), "k"), "v").statusCode()).isEqualTo(200);
            // A streaming application's token: unsigned, ingest positions only; this one is ahead of the ingest topic.
            String ahead = ConsistencyToken.ofIngest(ns, new LogPosition(0, 1_000)).encode();
            String truthAhead = ConsistencyToken.of(ns, new LogPosition(0, 1_000)).encode();
            assertThat(read(node, truthAhead).statusCode()).as("unsigned truth positions stay refused").isEqualTo(400);

            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiting.add(waitingRead(http, node, "ApiKey " + SecuredNodes.apiKey("reader"), ahead));
            }
            waiting.add(waitingRead(http, node, "Bearer " + SecuredNodes.jwt("reader"), ahead));
            Thread.sleep(500);
            assertThat(waiting).noneMatch(CompletableFuture::isDone);

            HttpResponse<String> overClient = waitingRead(http, node, "ApiKey " + SecuredNodes.apiKey("reader"), ahead).get(5, TimeUnit.SECONDS);
            assertThat(overClient.statusCode()).as(overClient.body()).isEqualTo(429);
            assertThat(overClient.body()).contains("/problems/too-many-waiting-reads").contains("'reader'");
            assertThat(overClient.headers().firstValue("Retry-After")).isPresent();
            HttpResponse<String> overNamespace = waitingRead(http, node, "Bearer " + SecuredNodes.jwt("reader"), ahead).get(5, TimeUnit.SECONDS);
            assertThat(overNamespace.statusCode()).as(overNamespace.body()).isEqualTo(429);
            assertThat(overNamespace.body()).contains(ns.value() + " already has 3");
            assertThat(read(node, null).statusCode()).as("a read that does not wait is served").isEqualTo(200);

            for (CompletableFuture<HttpResponse<String>> read : waiting) {
                HttpResponse<String> answer = read.get(30, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
                assertThat(answer.body()).contains("/problems/not-caught-up");
            }
            // Their places are given back once they stop waiting.
            CompletableFuture<HttpResponse<String>> again = waitingRead(http, node, "ApiKey " + SecuredNodes.apiKey("reader"), ahead);
            assertThat(again.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        }
    }

    /** A session read of a position ahead of the replica: it waits up to 3 s, then answers 503 not-caught-up. */
    private CompletableFuture<HttpResponse<String>> waitingRead(HttpClient http, LogKvNode node, String authorization, String token) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), "k") + "?wait_ms=3000"))
                .header("Authorization", authorization).header("KV-Token", token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private void createNamespace(LogKvNode node) {
        HttpResponse<String> created = as(node, "root", "PUT", node.url("/v1/namespaces/" + ns.value()), "{\"partitions\":1}",
                "Content-Type", "application/json");
        assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
    }

    private HttpResponse<String> read(LogKvNode node, String token) {
        return token == null ? as(node, "reader", "GET", node.keyUrl(ns.value(), "k"), null)
                : as(node, "reader", "GET", node.keyUrl(ns.value(), "k") + "?wait_ms=10000", null, "KV-Token", token);
    }

    private static HttpResponse<String> as(LogKvNode node, String role, String method, String url, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "ApiKey " + SecuredNodes.apiKey(role))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return node.send(request);
    }

    /** The token with one byte of its positions changed (its MAC left as it was). */
    private static String altered(String token) {
        byte[] bytes = Base64.getUrlDecoder().decode(token);
        bytes[bytes.length - SignedTokens.MAC_BYTES - 1] ^= 0x01;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String keyId(String token) {
        byte[] bytes = Base64.getUrlDecoder().decode(token);
        return new String(bytes, 2, bytes[1], StandardCharsets.US_ASCII);
    }
}
