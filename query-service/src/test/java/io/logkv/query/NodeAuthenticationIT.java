package io.logkv.query;

import io.logkv.core.ApiHeaders;
import io.logkv.core.NamespaceName;
import io.logkv.query.config.NodeSecurityProperties;
import io.logkv.query.config.NodeSecurityProperties.NodeKeys;
import io.logkv.query.security.Caller;
import io.logkv.query.security.NodeSignatures;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.PartitionOwner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Between nodes: requests a node forwards carry its MAC and the caller it forwards them for, and are served for
 * that caller; a node without the shared secret is refused, and so is a client that sends internal headers.
 */
@Tag("integration")
class NodeAuthenticationIT {

    private static final String[] PAIR = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s"};
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final NamespaceName ns = new NamespaceName("sec-nodes-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void forwardedReadsAndWritesAreServedForTheirCallerBetweenNodesThatShareTheSecret() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = SecuredNodes.args(with(PAIR, "--logkv.writer.group-id=sec-shared"));
        try (LogKvNode a = LogKvNode.start("sec-shared-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("sec-shared-b", kafka, dataDir.resolve("b"), args)) {
            LogKvNode owner = ownerOfOnePartition(a, b);
            LogKvNode other = owner == a ? b : a;

            HttpResponse<String> written = as("writer", other, "PUT", other.keyUrl(ns.value(), "k"), "forwarded");
            assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
            assertThat(written.headers().firstValue("KV-Owner")).contains(owner.url(""));
            String token = written.headers().firstValue("KV-Token").orElseThrow();
            // A content type with parameters, as the node's HTTP client sends it on (its MAC covers it as sent).
            HttpResponse<String> typed = send(other, "PUT", other.keyUrl(ns.value(), "typed"), "typed",
                    "Authorization", "ApiKey " + SecuredNodes.apiKey("writer"), "Content-Type", "text/plain;charset=utf-8");
            assertThat(typed.statusCode()).as(typed.body()).isEqualTo(200);
            // A reader may not write, on either node; the node that forwards checks first.
            assertThat(as("reader", other, "PUT", other.keyUrl(ns.value(), "k"), "no").statusCode()).isEqualTo(403);

            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> read = send(other, "GET", other.keyUrl(ns.value(), "k"), null,
                        "Authorization", "ApiKey " + SecuredNodes.apiKey("reader"), "KV-Token", token);
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.body()).isEqualTo("forwarded");
                assertThat(read.headers().firstValue("KV-Replicas")).as("served by the other node").contains(owner.url(""));
            });
            // Eventual reads forwarded together travel in batches of reads, each authorized for its own caller.
            List<CompletableFuture<HttpResponse<String>>> reads = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                reads.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(other.keyUrl(ns.value(), "k")))
                        .header("Authorization", "ApiKey " + SecuredNodes.apiKey("reader")).GET().build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> read : reads) {
                HttpResponse<String> answer = read.get(30, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            }
            HttpResponse<String> batch = as("reader", other, "POST", other.url("/v1/namespaces/" + ns.value() + "/batch-get"),
                    "{\"keys\":[\"k\",\"absent\"]}");
            assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
            assertThat(batch.body()).contains("\"found\":true");
            HttpResponse<String> scan = as("reader", other, "GET", other.url("/v1/namespaces/" + ns.value() + "/keys"), null);
            assertThat(scan.statusCode()).as(scan.body()).isEqualTo(200);
            assertThat(scan.body()).contains("\"key\":\"k\"");

            // The node's own questions to the other node (topology) are signed too.
            HttpResponse<String> described = as("reader", other, "GET", other.url("/v1/namespaces/" + ns.value()), null);
            assertThat(described.statusCode()).isEqualTo(200);
            assertThat(described.body()).contains("\"error\":null").doesNotContain("\"error\":\"");
        }
    }

    @Test
    void aNodeWithoutTheSharedSecretIsRefusedByTheOthers() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] shared = with(PAIR, "--logkv.writer.group-id=sec-split");
        try (LogKvNode a = LogKvNode.start("sec-split-a", kafka, dataDir.resolve("a"), SecuredNodes.args(shared));
             LogKvNode b = LogKvNode.start("sec-split-b", kafka, dataDir.resolve("b"), SecuredNodes.args(with(shared,
                     "--logkv.security.node.keys.n1=not the secret the other node holds, though long enough")))) {
            LogKvNode owner = ownerOfOnePartition(a, b);
            LogKvNode other = owner == a ? b : a;
            HttpResponse<String> direct = as("writer", owner, "PUT", owner.keyUrl(ns.value(), "k"), "direct");
            assertThat(direct.statusCode()).isEqualTo(200);

            HttpResponse<String> write = as("writer", other, "PUT", other.keyUrl(ns.value(), "k"), "forwarded");
            assertThat(write.statusCode()).as(write.body()).isEqualTo(403);
            assertThat(write.body()).contains("/problems/not-a-node");
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> read = as("reader", other, "GET", other.keyUrl(ns.value(), "k"), null);
                assertThat(read.statusCode()).as(read.body()).isEqualTo(403);
                assertThat(read.body()).contains("/problems/not-a-node");
            });
            // The partition's owner holds its one copy and serves it without its peer, once placement has settled
            // on it (ownership may still move while the second node joins the writers' group).
            String token = direct.headers().firstValue("KV-Token").orElseThrow();
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                LogKvNode now = ownerNow(a, b);
                HttpResponse<String> read = send(now, "GET", now.keyUrl(ns.value(), "k"), null,
                        "Authorization", "ApiKey " + SecuredNodes.apiKey("reader"), "KV-Token", token);
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.body()).isEqualTo("direct");
            });
        }
    }

    @Test
    void internalHeadersFromClientsAreRefusedAndSignedRequestsAreServedForTheCallerTheyName() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode node = LogKvNode.start("sec-spoof", kafka, dataDir.resolve("n"), SecuredNodes.args("--logkv.writer.group-id=sec-spoof"))) {
            assertThat(as("root", node, "PUT", node.url("/v1/namespaces/" + ns.value()), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            String key = node.keyUrl(ns.value(), "k");
            assertThat(as("writer", node, "PUT", key, "v").statusCode()).isEqualTo(200);

            for (String[] spoofed : List.of(new String[] {"KV-Forwarded-By", "node-x"}, new String[] {"KV-Caller", "root admin:*"},
                    new String[] {"KV-Time-Left-Ms", "1"}, new String[] {"KV-Deadline-Epoch-Ms", "1"},
                    new String[] {"KV-Node-Mac", "n1 1 AAAA"})) {
                HttpResponse<String> refused = send(node, "GET", key, null,
                        "Authorization", "ApiKey " + SecuredNodes.apiKey("reader"), spoofed[0], spoofed[1]);
                assertThat(refused.statusCode()).as(spoofed[0] + ": " + refused.body()).isEqualTo(403);
                assertThat(refused.body()).contains("/problems/not-a-node");
            }
            HttpResponse<String> batch = send(node, "POST", node.url("/v1/internal/reads"), "x", "KV-Forwarded-By", "node-x");
            assertThat(batch.statusCode()).as(batch.body()).isEqualTo(403);
            assertThat(send(node, "POST", node.url("/v1/internal/reads"), "x",
                    "Authorization", "ApiKey " + SecuredNodes.apiKey("root")).statusCode()).isEqualTo(403);

            // A request signed with the nodes' secret is served for the caller it names, not for a node.
            NodeSignatures nodes = new NodeSignatures(new NodeKeys("n1", Map.of("n1", SecuredNodes.NODE_KEY), Duration.ofSeconds(30), 2));
            String path = "/v1/namespaces/" + ns.value() + "/keys/k";
            assertThat(signed(node, nodes, "PUT", path, "by reader", "reader read:sec-*").statusCode()).isEqualTo(403);
            HttpResponse<String> byWriter = signed(node, nodes, "PUT", path, "by writer", "writer write:sec-*");
            assertThat(byWriter.statusCode()).as(byWriter.body()).isEqualTo(200);
            // The MAC covers a request's condition and tokens: a condition taken off on the way, or a token added, is refused.
            Map<String, String> condition = Map.of("If-Match", "\"0192f3a1b2c30000a1b2c3d4\"");
            HttpResponse<String> conditional = signed(node, nodes, "PUT", path, "on a stale version", "writer write:sec-*", condition, condition);
            assertThat(conditional.statusCode()).as(conditional.body()).isEqualTo(412);
            HttpResponse<String> stripped = signed(node, nodes, "PUT", path, "condition stripped", "writer write:sec-*", condition, Map.of());
            assertThat(stripped.statusCode()).as(stripped.body()).isEqualTo(403);
            assertThat(stripped.body()).contains("/problems/not-a-node");
            HttpResponse<String> tokenAdded = signed(node, nodes, "GET", path, "", "reader read:sec-*", Map.of(),
                    Map.of("KV-Token", byWriter.headers().firstValue("KV-Token").orElseThrow()));
            assertThat(tokenAdded.statusCode()).as(tokenAdded.body()).isEqualTo(403);
            NodeSignatures impostor = new NodeSignatures(new NodeKeys("n1", Map.of("n1", "a guess at the secret, thirty-two bytes"),
                    Duration.ofSeconds(30), 2));
            HttpResponse<String> guessed = signed(node, impostor, "PUT", path, "guessed", "root write:*");
            assertThat(guessed.statusCode()).isEqualTo(403);
            assertThat(guessed.body()).contains("/problems/not-a-node");
            // Strong: an eventual read right after the write may still be served from a replica a moment behind.
            assertThat(as("reader", node, "GET", key + "?consistency=strong&wait_ms=10000", null).body()).isEqualTo("by writer");
        }
    }

    /** A request as a node sends it: forwarded by "node-t", for {@code caller}, with a MAC by {@code signatures}. */
    private static HttpResponse<String> signed(LogKvNode node, NodeSignatures signatures, String method, String path, String body,
                                               String caller) {
        return signed(node, signatures, method, path, body, caller, Map.of(), Map.of());
    }

    /**
     * As {@link #signed(LogKvNode, NodeSignatures, String, String, String, String)}, the MAC made with {@code covered}
     * headers besides and the request sent with {@code sent} ones instead (as a request changed on the way).
     */
    private static HttpResponse<String> signed(LogKvNode node, NodeSignatures signatures, String method, String path, String body,
                                               String caller, Map<String, String> covered, Map<String, String> sent) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put(ApiHeaders.FORWARDED_BY, "node-t");
        headers.put(ApiHeaders.CALLER, caller);
        headers.putAll(covered);
        byte[] bytes = method.equals("GET") ? null : body.getBytes(StandardCharsets.UTF_8);
        headers.put(ApiHeaders.NODE_MAC, signatures.sign(method, path, headers::get, bytes, System.currentTimeMillis()));
        covered.keySet().forEach(headers::remove);
        headers.putAll(sent);
        List<String> flat = new ArrayList<>();
        headers.forEach((name, value) -> {
            flat.add(name);
            flat.add(value);
        });
        return send(node, method, node.url(path), method.equals("GET") ? null : body, flat.toArray(String[]::new));
    }

    private static HttpResponse<String> as(String role, LogKvNode node, String method, String url, String body) {
        return send(node, method, url, body, "Authorization", "ApiKey " + SecuredNodes.apiKey(role), "Content-Type",
                body != null && body.startsWith("{") ? "application/json" : "text/plain");
    }

    private static HttpResponse<String> send(LogKvNode node, String method, String url, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return node.send(request);
    }

    private static String[] with(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** Creates the test's namespace with one partition and answers the node that owns it. */
    private LogKvNode ownerNow(LogKvNode a, LogKvNode b) {
        TopicPartition partition = new TopicPartition(ns.truthTopic(), 0);
        LogKvNode owner = a.bean(PartitionOwner.class).owned().contains(partition) ? a
                : b.bean(PartitionOwner.class).owned().contains(partition) ? b : null;
        assertThat(owner).as("an owner of " + partition).isNotNull();
        return owner;
    }

    private LogKvNode ownerOfOnePartition(LogKvNode a, LogKvNode b) {
        HttpResponse<String> created = as("root", a, "PUT", a.url("/v1/namespaces/" + ns.value()), "{\"partitions\":1}");
        assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
        TopicPartition partition = new TopicPartition(ns.truthTopic(), 0);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                a.bean(PartitionOwner.class).owned().contains(partition) || b.bean(PartitionOwner.class).owned().contains(partition));
        return a.bean(PartitionOwner.class).owned().contains(partition) ? a : b;
    }
}
