package io.logkv.query;

import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.testkit.Pauses;
import io.logkv.writer.PartitionOwner;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a node admits (ADR 0016), against a real node and brokers. A client over its rate is answered
 * {@code 429 over-quota} with {@code Retry-After} while another client's reads pass; a namespace over its rate
 * likewise while another namespace's writes pass. And a node already working on as many requests as it may
 * refuses a burst of further ones at once with {@code 503 overloaded} and {@code Retry-After}, while the
 * requests it admitted are served.
 */
@Tag("integration")
class QuotasAndSheddingIT {

    private static final String NOISY = "sec-noisy";
    private static final String QUIET = "sec-quiet";
    /** A namespace only the "outsider" role reads: its rate is untouched by the other tests. */
    private static final String OTHER = "other-batch";
    private static final int MAX_ACTIVE = 3;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dataDir;
    static LogKvNode node;

    @BeforeAll
    static void startNode() {
        node = LogKvNode.start("admission", KafkaTestCluster.shared().bootstrapServers(), dataDir, SecuredNodes.args(
                "--logkv.quotas.client.reads-per-second=2",
                "--logkv.quotas.namespaces." + NOISY + ".writes-per-second=2",
                "--logkv.shedding.max-active-requests=" + MAX_ACTIVE));
        for (String namespace : List.of(NOISY, QUIET, OTHER)) {
            HttpResponse<String> created = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + namespace)))
                    .header("Authorization", "ApiKey " + SecuredNodes.apiKey("root"))
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"partitions\":1}")));
            assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
            TopicPartition partition = new TopicPartition(new NamespaceName(namespace).truthTopic(), 0);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> node.bean(PartitionOwner.class).owned().contains(partition));
        }
        HttpResponse<String> written = put("writer", QUIET, "k");
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        // Applied before the tests read it eventually (a strong read waits for the replica).
        HttpResponse<String> read = node.send(request("reader", QUIET, "k", "?consistency=strong&wait_ms=10000").GET());
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @Test
    void aClientOverItsReadRateGets429WhileAnotherClientsReadsPass() {
        List<HttpResponse<String>> noisy = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            noisy.add(get("reader", QUIET, "k"));
        }
        List<HttpResponse<String>> refused = noisy.stream().filter(answer -> answer.statusCode() == 429).toList();
        assertThat(refused).as("reads of a client with 2 a second, 30 at once").isNotEmpty();
        assertThat(noisy).allSatisfy(answer -> assertThat(answer.statusCode()).as(answer.body()).isIn(200, 429));
        assertOverQuota(refused.get(0), "'reader' is limited to 2 reads/s");

        // The other client's reads, meanwhile, are its own: both of its 2 pass. Another test may have spent one of
        // them a moment ago (the tests share the node); at 2 reads a second its bucket is full again after 1 s, while
        // the flooding client's 30 reads have long outrun its own.
        Pauses.sleepOrFail(Duration.ofSeconds(1).toMillis());
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> quiet = get("app", QUIET, "k");
            assertThat(quiet.statusCode()).as(quiet.body()).isEqualTo(200);
        }
        assertThat(refusedCount("over-quota", "client")).isGreaterThanOrEqualTo(refused.size());
    }

    @Test
    void aNamespaceOverItsWriteRateGets429WhileAnotherNamespacesWritesPass() {
        List<HttpResponse<String>> noisy = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            noisy.add(put(i % 2 == 0 ? "app" : "writer", NOISY, "n" + i));
        }
        List<HttpResponse<String>> refused = noisy.stream().filter(answer -> answer.statusCode() == 429).toList();
        assertThat(refused).as("writes to a namespace with 2 a second, 30 at once, from two clients").isNotEmpty();
        assertThat(noisy).allSatisfy(answer -> assertThat(answer.statusCode()).as(answer.body()).isIn(200, 429));
        assertOverQuota(refused.get(0), "namespace '" + NOISY + "' is limited to 2 writes/s");

        // The same clients' writes to another namespace pass.
        for (String client : List.of("app", "writer", "app", "writer", "app")) {
            HttpResponse<String> quiet = put(client, QUIET, "q-" + client);
            assertThat(quiet.statusCode()).as(quiet.body()).isEqualTo(200);
        }
        assertThat(refusedCount("over-quota", "namespace")).isGreaterThanOrEqualTo(refused.size());
    }

    @Test
    void aBatchGetCountsOneReadPerKey() {
        // 2 reads a second: the batch's first key is charged before it is served (1 left), its other two after
        // its body is read, and they are more than the bucket holds.
        HttpResponse<String> batch = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + OTHER + "/batch-get")))
                .header("Authorization", "ApiKey " + SecuredNodes.apiKey("outsider"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"keys\":[\"a\",\"b\",\"c\"]}")));
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(429);
        assertOverQuota(batch, "'outsider' is limited to 2 reads/s");
    }

    @Test
    void aBurstBeyondTheActiveBoundIsRefusedAtOnceWhileTheAdmittedRequestsAreServed() throws Exception {
        MeterRegistry meters = node.bean(MeterRegistry.class);
        // Writes whose bodies have not come yet: each holds its place, as a request being worked on does.
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_ACTIVE; i++) {
                held.add(putWithoutBody("held-" + i, 4));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> meters.get("logkv.requests.active").gauge().value() == MAX_ACTIVE);

            List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                burst.add(HTTP.sendAsync(request("reader", QUIET, "k").timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (CompletableFuture<HttpResponse<String>> answer : burst) {
                answers.add(answer.get(10, TimeUnit.SECONDS));
            }
            long burstMs = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("20 requests beyond %d active answered in %d ms%n", MAX_ACTIVE, burstMs);
            assertThat(answers).allSatisfy(answer -> {
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
                assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
                assertThat(answer.body()).contains("\"type\":\"/problems/overloaded\"");
            });
            // Answered without waiting for the held requests, which are held still.
            assertThat(meters.get("logkv.requests.active").gauge().value()).isEqualTo(MAX_ACTIVE);
            assertThat(refusedCount("overloaded", "active-requests")).isGreaterThanOrEqualTo(20);

            // The admitted writes get their bodies, and are served.
            for (Socket socket : held) {
                OutputStream out = socket.getOutputStream();
                out.write("held".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            for (Socket socket : held) {
                assertThat(statusLine(socket)).startsWith("HTTP/1.1 200");
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> meters.get("logkv.requests.active").gauge().value() == 0);
        HttpResponse<String> after = node.send(request("app", QUIET, "held-0", "?consistency=strong&wait_ms=10000").GET());
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(after.body()).isEqualTo("held");
    }

    private static void assertOverQuota(HttpResponse<String> answer, String detail) {
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(answer.body()).contains("\"type\":\"/problems/over-quota\"", "\"status\":429", detail);
        long retryAfter = Long.parseLong(answer.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 2L);
    }

    private static double refusedCount(String reason, String limit) {
        return node.bean(MeterRegistry.class).find("logkv.requests.refused").tags("reason", reason, "limit", limit).counters().stream()
                .mapToDouble(counter -> counter.count()).sum();
    }

    private static HttpRequest.Builder request(String role, String namespace, String key) {
        return request(role, namespace, key, "");
    }

    private static HttpRequest.Builder request(String role, String namespace, String key, String query) {
        return HttpRequest.newBuilder(URI.create(node.keyUrl(namespace, key) + query))
                .header("Authorization", "ApiKey " + SecuredNodes.apiKey(role));
    }

    private static HttpResponse<String> get(String role, String namespace, String key) {
        return node.send(request(role, namespace, key).GET());
    }

    private static HttpResponse<String> put(String role, String namespace, String key) {
        return node.send(request(role, namespace, key).header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("v")));
    }

    /** A connection that has sent a PUT's headers, announcing {@code length} bytes of body, and none of them. */
    private static Socket putWithoutBody(String key, int length) throws IOException {
        URI url = URI.create(node.keyUrl(QUIET, key));
        Socket socket = new Socket(url.getHost(), url.getPort());
        socket.setSoTimeout(30_000);
        String head = "PUT " + url.getRawPath() + " HTTP/1.1\r\n"
                + "Host: " + url.getHost() + ":" + url.getPort() + "\r\n"
                + "Authorization: ApiKey " + SecuredNodes.apiKey("writer") + "\r\n"
                + "Content-Type: text/plain\r\n"
                + "Content-Length: " + length + "\r\n"
                + "Connection: close\r\n\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static String statusLine(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            line.append((char) b);
        }
        return line.toString().strip();
    }
}
