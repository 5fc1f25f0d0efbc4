package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.query.admission.AnswerMemory;
import io.logkv.query.read.ForwardedReadBatch;
import io.logkv.query.resp.RespServer;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Answers that read many values hold no more of them than {@code logkv.replicas.max-answer-bytes} (and a value per
 * partition beyond it): a scan page ends early with its continuation, a batch-get lists the keys it left out as
 * {@code unread}, and paging or asking again for those reads every key once, with its value, on a node that serves
 * some partitions itself and forwards the others. Without the bound, one request for a thousand large values made a
 * node hold them all at once.
 */
@Tag("integration")
class BoundedAnswersIT {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final int BOUND = 64 * 1024;
    private static final int PARTITIONS = 4;
    private static final int LARGEST = 96 * 1024;

    private final String ns = "bounded-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    @Test
    void scanPagesAndBatchGetsStayWithinTheBoundAndStillReadEveryKeyOnce() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String[] args = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s", "--logkv.replicas.max-answer-bytes=" + BOUND};
        try (LogKvNode a = LogKvNode.start("bounded-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("bounded-b", kafka, dataDir.resolve("b"), args)) {
            assertThat(a.putNamespace(ns, "{\"partitions\":" + PARTITIONS + "}").statusCode()).isIn(200, 201);
            TreeMap<String, String> written = new TreeMap<>();
            String token = null;
            for (int i = 0; i < 120; i++) {
                // Mostly a few KiB; every 15th larger than the whole bound, which an answer still carries alone.
                int size = i % 15 == 7 ? LARGEST : 1024 + (i * 977) % 6000;
                String key = "k/" + String.format("%03d", i);
                String value = (i + ":").repeat(size / 2 + 1).substring(0, size);
                HttpResponse<String> put = a.put(ns, key, value);
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                written.put(key, value);
                token = put.headers().firstValue("KV-Token").orElseThrow();
            }
            String session = token;
            long totalBytes = written.values().stream().mapToLong(String::length).sum();
            assertThat(totalBytes).as("the values take many answers").isGreaterThan(8L * BOUND);

            for (LogKvNode node : List.of(a, b)) {
                // Until every partition has a serving replica on some node, a read may answer 503: wait for a full scan.
                Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    List<Integer> pageSizes = new ArrayList<>();
                    Map<String, String> scanned = scanAll(node, session, pageSizes);
                    assertThat(scanned.keySet()).as("every key once, in key order").containsExactlyElementsOf(written.keySet());
                    assertThat(scanned).isEqualTo(written);
                    assertThat(pageSizes.size()).as("pages of at most 1000 keys, ended by bytes").isGreaterThan(8);
                });

                List<String> asked = new ArrayList<>(written.descendingKeySet());
                asked.add("k/absent");
                Map<String, String> read = new LinkedHashMap<>();
                int rounds = 0;
                List<String> left = asked;
                while (!left.isEmpty()) {
                    JsonNode answer = batchGet(node, left, session);
                    rounds++;
                    JsonNode items = answer.path("items");
                    assertThat(items.size()).as("each answer reads at least one key").isPositive();
                    assertThat(valueBytes(items)).as("an answer's values").isLessThanOrEqualTo((long) PARTITIONS * Math.max(BOUND, LARGEST));
                    List<String> unread = new ArrayList<>();
                    answer.path("unread").forEach(key -> unread.add(key.asString()));
                    List<String> answered = new ArrayList<>();
                    items.forEach(item -> answered.add(item.path("key").asString()));
                    assertThat(answered.size() + unread.size()).isEqualTo(left.size());
                    assertThat(answered).as("items in request order").isEqualTo(left.stream().filter(answered::contains).toList());
                    assertThat(unread).as("unread keys in request order").isEqualTo(left.stream().filter(unread::contains).toList());
                    for (JsonNode item : items) {
                        String key = item.path("key").asString();
                        if (item.path("found").asBoolean()) {
                            read.put(key, new String(Base64.getDecoder().decode(item.path("value").asString()), StandardCharsets.UTF_8));
                        } else {
                            read.put(key, null);
                        }
                    }
                    left = unread;
                }
                assertThat(rounds).as("the keys' values take several answers").isGreaterThan(4);
                assertThat(read).hasSize(asked.size()).containsEntry("k/absent", null);
                written.forEach((key, value) -> assertThat(read.get(key)).as(key).isEqualTo(value));
            }

            HttpResponse<String> notANode = a.send(HttpRequest.newBuilder(URI.create(a.url("/v1/namespaces/" + ns + "/keys?value_bytes=10"))));
            assertThat(notANode.statusCode()).as("value_bytes is for nodes only").isEqualTo(400);
        }
    }

    /**
     * Answers of many keys together hold no more than the node's room for them
     * ({@code logkv.shedding.max-answer-bytes-in-flight}): while a client that does not read holds one answer of 8 MB
     * in the node, other answers get the room left (a batch-get lists the rest as {@code unread}, a scan page ends
     * early, an {@code MGET} is {@code -OVERLOADED}), at least one value each; many concurrent answers of small values
     * are all served whole; and once the stuck answer is gone its room comes back. A Redis-protocol client that
     * pipelines reads of large values without reading the replies makes the node stop reading its commands at its
     * pipeline's bound rather than hold every reply; once it reads, every reply comes, in order.
     */
    @Test
    void answersTogetherHoldNoMoreThanTheNodesRoomAndAClientThatDoesNotReadNoMoreThanItsPipeline() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        int value = 8000;
        int large = 500_000;
        try (LogKvNode node = LogKvNode.start("room", kafka, dataDir.resolve("room"), "--logkv.replicas.copies=1",
                "--logkv.shedding.max-answer-bytes-in-flight=10MB", "--logkv.resp.enabled=true", "--logkv.resp.port=0",
                "--logkv.resp.max-pipelined=16")) {
            assertThat(node.putNamespace(ns, "{\"partitions\":1}").statusCode()).isIn(200, 201);
            List<String> keys = new ArrayList<>();
            List<String> largeKeys = new ArrayList<>();
            String session = null;
            for (int i = 0; i < 30; i++) {
                String key = "m/" + String.format("%02d", i);
                HttpResponse<String> put = node.put(ns, key, String.valueOf(i % 10).repeat(value));
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                keys.add(key);
            }
            for (int i = 0; i < 16; i++) {
                String key = "big/" + String.format("%02d", i);
                HttpResponse<String> put = node.put(ns, key, String.valueOf(i % 10).repeat(large));
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                largeKeys.add(key);
                session = put.headers().firstValue("KV-Token").orElseThrow();
            }
            AnswerMemory memory = node.bean(AnswerMemory.class);

            // Many answers of small values at once: each holds a few kilobytes, all are served whole.
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(32);
            try {
                List<CompletableFuture<HttpResponse<String>>> concurrent = new ArrayList<>();
                for (int i = 0; i < 256; i++) {
                    concurrent.add(CompletableFuture.supplyAsync(() -> node.send(batchGetRequest(node, keys.subList(0, 4), null, 1000)), clients));
                }
                for (CompletableFuture<HttpResponse<String>> one : concurrent) {
                    HttpResponse<String> answer = one.get(60, TimeUnit.SECONDS);
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                    assertThat(JSON.readTree(answer.body()).path("items").size()).isEqualTo(4);
                }
            } finally {
                clients.shutdownNow();
            }

            // A client asks for 8 MB of values and reads nothing: its answer is held in the node, with its room.
            try (Socket stuck = new Socket()) {
                stuck.setReceiveBufferSize(64 * 1024);
                stuck.connect(new java.net.InetSocketAddress("localhost", java.net.URI.create(node.url("/")).getPort()));
                byte[] body = JSON.writeValueAsBytes(Map.of("keys", largeKeys));
                stuck.getOutputStream().write(("POST /v1/namespaces/" + ns + "/batch-get HTTP/1.1\r\nHost: localhost\r\nKV-Token: " + session
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                stuck.getOutputStream().write(body);
                stuck.getOutputStream().flush();
                java.util.concurrent.Callable<Boolean> onlyTheStuckOne = () -> memory.held() == 16L * large;
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(onlyTheStuckOne);

                // 2.4 MB of room left: four values of 500 KB (the first of them whatever the room), the rest for later.
                JsonNode partial = batchGet(node, largeKeys, session);
                assertThat(partial.path("items").size()).isEqualTo(4);
                assertThat(partial.path("unread").size()).isEqualTo(12);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(onlyTheStuckOne);
                HttpResponse<String> page = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/keys?prefix=big/")))
                        .header("KV-Token", session));
                assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
                assertThat(JSON.readTree(page.body()).path("items").size()).isEqualTo(4);
                assertThat(JSON.readTree(page.body()).path("next").isString()).isTrue();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(onlyTheStuckOne);
                List<String> mgetWords = new ArrayList<>(List.of("MGET"));
                mgetWords.addAll(largeKeys);
                List<String> mget = sendResp(node, List.of(List.of("LOGKV.NAMESPACE", ns), mgetWords));
                assertThat(mget.get(0)).isEqualTo("+OK");
                assertThat(mget.get(1)).startsWith("-OVERLOADED ").contains("max-answer-bytes-in-flight");
                assertThat(node.get(ns, largeKeys.get(0)).statusCode()).as("single keys are still read").isEqualTo(200);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(onlyTheStuckOne);

                // A batch of single reads forwarded by another node gets the same room: four values, and the two reads
                // left without room answered 503 on their own, for the sending node to pass on.
                List<ForwardedReadBatch.Read> forwarded = new ArrayList<>();
                for (String key : largeKeys.subList(0, 6)) {
                    String path = java.net.URI.create(node.keyUrl(ns, key)).getRawPath();
                    forwarded.add(new ForwardedReadBatch.Read(path, new LinkedHashMap<>(Map.of("KV-Token", session))));
                }
                HttpResponse<byte[]> batch = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                                node.url(ForwardedReadBatch.PATH))).header("KV-Forwarded-By", "test")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(ForwardedReadBatch.encodeReads(forwarded))).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(batch.statusCode()).isEqualTo(200);
                List<ForwardedReadBatch.Answer> answered = ForwardedReadBatch.decodeAnswers(batch.body(), forwarded.size());
                assertThat(answered).filteredOn(answer -> answer.status() == 200).hasSize(4)
                        .allSatisfy(answer -> assertThat(answer.body()).hasSize(large));
                assertThat(answered).filteredOn(answer -> answer.status() == 503).hasSize(2).allSatisfy(answer -> {
                    assertThat(answer.headers()).containsKey("Retry-After");
                    assertThat(new String(answer.body(), StandardCharsets.UTF_8)).contains("/problems/overloaded", "max-answer-bytes-in-flight");
                });
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(onlyTheStuckOne);
            }
            // The stuck client gone, its room comes back and an answer carries its whole bound again.
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> memory.held() == 0);
            assertThat(batchGet(node, largeKeys, session).path("items").size()).isEqualTo(16);
            List<String> whole = sendResp(node, List.of(List.of("LOGKV.NAMESPACE", ns), List.of("MGET", "m/00", "m/01", "m/02")));
            assertThat(whole.get(1)).startsWith("*3\r\n$" + value + "\r\n0000");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> memory.held() == 0);

            // A client pipelines 6,000 reads of 8,000-byte values (48 MB of replies) and reads nothing for a while.
            MeterRegistry meters = node.bean(MeterRegistry.class);
            double before = served(meters);
            int reads = 6000;
            StringBuilder commands = new StringBuilder(command(List.of("LOGKV.NAMESPACE", ns)));
            for (int i = 0; i < reads; i++) {
                commands.append(command(List.of("GET", keys.get(i % keys.size()))));
            }
            try (Socket socket = new Socket()) {
                socket.setReceiveBufferSize(64 * 1024);
                socket.connect(new java.net.InetSocketAddress("localhost", node.bean(RespServer.class).port()));
                CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                    try {
                        socket.getOutputStream().write(commands.toString().getBytes(StandardCharsets.UTF_8));
                        socket.getOutputStream().flush();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                Thread.sleep(2000);
                double early = served(meters) - before;
                Thread.sleep(1000);
                double served = served(meters) - before;
                assertThat(served).as("reads served while their replies are not read: the pipeline and what the sockets buffer")
                        .isEqualTo(early).isLessThan(reads / 2.0);
                // Then it reads: every reply comes, in order.
                InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
                socket.setSoTimeout(30_000);
                assertThat(readLine(in)).isEqualTo("+OK");
                for (int i = 0; i < reads; i++) {
                    assertThat(readLine(in)).as("reply " + i).isEqualTo("$" + value);
                    byte[] body = in.readNBytes(value + 2);
                    assertThat(body[0]).as("reply " + i).isEqualTo((byte) ('0' + (i % keys.size()) % 10));
                }
                sent.get(10, TimeUnit.SECONDS);
            }
        }
    }

    private static double served(MeterRegistry meters) {
        return meters.find("logkv.resp.commands").tag("command", "GET").timers().stream().mapToLong(Timer::count).sum();
    }

    private static String command(List<String> words) {
        StringBuilder text = new StringBuilder("*" + words.size() + "\r\n");
        for (String word : words) {
            text.append('$').append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(word).append("\r\n");
        }
        return text.toString();
    }

    /** Sends the commands on a fresh connection and reads their replies, each as its text. */
    private static List<String> sendResp(LogKvNode node, List<List<String>> commands) throws IOException {
        try (Socket socket = new Socket("localhost", node.bean(RespServer.class).port())) {
            socket.setSoTimeout(20_000);
            StringBuilder text = new StringBuilder();
            commands.forEach(words -> text.append(command(words)));
            socket.getOutputStream().write(text.toString().getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            List<String> replies = new ArrayList<>();
            for (int i = 0; i < commands.size(); i++) {
                replies.add(readReply(in));
            }
            return replies;
        }
    }

    private static String readReply(InputStream in) throws IOException {
        String line = readLine(in);
        if (line.startsWith("$") && !line.equals("$-1")) {
            int length = Integer.parseInt(line.substring(1));
            byte[] body = in.readNBytes(length + 2);
            return line + "\r\n" + new String(body, 0, length, StandardCharsets.UTF_8);
        }
        if (line.startsWith("*")) {
            StringBuilder array = new StringBuilder(line);
            for (int i = Integer.parseInt(line.substring(1)); i > 0; i--) {
                array.append("\r\n").append(readReply(in));
            }
            return array.toString();
        }
        return line;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != -1; ) {
            if (c == '\r') {
                in.read();
                return line.toString();
            }
            line.append((char) c);
        }
        throw new java.io.EOFException("the connection closed after: " + line);
    }

    private HttpRequest.Builder batchGetRequest(LogKvNode node, List<String> keys, String token, int waitMs) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/batch-get?wait_ms=" + waitMs)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("keys", keys))));
        return token == null ? request : request.header("KV-Token", token);
    }


    private Map<String, String> scanAll(LogKvNode node, String token, List<Integer> pageSizes) {
        Map<String, String> values = new LinkedHashMap<>();
        String cursor = null;
        do {
            String query = "?prefix=" + URLEncoder.encode("k/", StandardCharsets.UTF_8) + "&limit=1000" + (cursor == null ? "" : "&after=" + cursor);
            HttpResponse<String> response = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/keys" + query)))
                    .header("KV-Token", token));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode page = JSON.readTree(response.body());
            JsonNode items = page.path("items");
            assertThat(items.size()).as("a page moves on").isPositive();
            assertThat(valueBytes(items)).as("a page's values").isLessThanOrEqualTo((long) PARTITIONS * Math.max(BOUND / PARTITIONS, LARGEST));
            pageSizes.add(items.size());
            for (JsonNode item : items) {
                String key = item.path("key").asString();
                assertThat(values).as("each key once").doesNotContainKey(key);
                values.put(key, new String(Base64.getDecoder().decode(item.path("value").asString()), StandardCharsets.UTF_8));
            }
            cursor = page.path("next").isMissingNode() || page.path("next").isNull() ? null : page.path("next").asString();
        } while (cursor != null);
        return values;
    }

    private JsonNode batchGet(LogKvNode node, List<String> keys, String token) {
        HttpResponse<String> answer = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns + "/batch-get")))
                .header("Content-Type", "application/json")
                .header("KV-Token", token)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("keys", keys)))));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private static long valueBytes(JsonNode items) {
        long bytes = 0;
        for (JsonNode item : items) {
            if (item.hasNonNull("value")) {
                bytes += Base64.getDecoder().decode(item.path("value").asString()).length;
            }
        }
        return bytes;
    }
}
