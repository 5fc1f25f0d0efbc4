package io.logkv.client.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code batchGet} against a node whose answers hold only some of the keys asked (their values past the node's
 * bound) and list the others as {@code unread}: the client asks again for those, with the token of what it read,
 * until every key is read, and maps them in the order asked.
 */
class BatchGetUnreadTest {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private HttpServer server;
    /** The keys of each batch-get the node was asked, and the token it came with. */
    private final List<List<String>> asked = new CopyOnWriteArrayList<>();
    private final List<String> tokens = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void theKeysANodeLeavesUnreadAreAskedForAgainUntilEveryKeyIsRead() {
        // Two keys an answer; "absent" has no value.
        String url = node(2);
        List<String> keys = List.of("e", "absent", "c", "b", "a");
        try (LogKvClient client = LogKvClient.builder().nodes(url).build()) {
            Map<String, Optional<KeyValue>> read = client.batchGet("ns", keys);
            assertThat(read.keySet()).containsExactlyElementsOf(keys);
            assertThat(read.get("absent")).isEmpty();
            for (String key : List.of("e", "c", "b", "a")) {
                assertThat(read.get(key)).hasValueSatisfying(value -> assertThat(value.text()).isEqualTo("value of " + key));
            }
        }
        assertThat(asked).containsExactly(keys, List.of("c", "b", "a"), List.of("a"));
        assertThat(tokens).as("asked again at the position of the answer before").containsExactly("null", "t1", "t2");
    }

    @Test
    void aNodeThatReadsNoKeyOfABatchFailsItRatherThanLoopingForever() {
        String url = node(0);
        try (LogKvClient client = LogKvClient.builder().nodes(url).build()) {
            assertThatThrownBy(() -> client.batchGet("ns", List.of("a", "b")))
                    .isInstanceOfSatisfying(LogKvException.class, failed -> assertThat(failed.type()).isEqualTo("bad-answer"));
        }
        assertThat(asked).hasSize(1);
    }

    /** A node that answers the first {@code perAnswer} keys of each batch-get and lists the rest as unread. */
    private String node(int perAnswer) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                if (!exchange.getRequestURI().getPath().endsWith("/batch-get")) {
                    answer(exchange, 404, "");
                    return;
                }
                List<String> keys = new ArrayList<>();
                JSON.readTree(body).path("keys").forEach(key -> keys.add(key.asString()));
                asked.add(keys);
                tokens.add(String.valueOf(exchange.getRequestHeaders().getFirst("KV-Token")));
                StringBuilder items = new StringBuilder();
                for (String key : keys.subList(0, Math.min(perAnswer, keys.size()))) {
                    items.append(items.isEmpty() ? "" : ",").append(key.equals("absent") ? "{\"key\":\"absent\",\"found\":false}"
                            : "{\"key\":\"" + key + "\",\"found\":true,\"version\":\"1-1\",\"contentType\":\"text/plain\",\"value\":\""
                            + Base64.getEncoder().encodeToString(("value of " + key).getBytes(StandardCharsets.UTF_8)) + "\"}");
                }
                List<String> unread = keys.subList(Math.min(perAnswer, keys.size()), keys.size());
                exchange.getResponseHeaders().add("KV-Token", "t" + asked.size());
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                answer(exchange, 200, "{\"items\":[" + items + "],\"token\":\"t" + asked.size() + "\""
                        + (unread.isEmpty() ? "" : ",\"unread\":" + JSON.writeValueAsString(unread)) + "}");
            });
            server.start();
            return "http://127.0.0.1:" + server.getAddress().getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
