package io.logkv.client.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against two HTTP servers that answer as the nodes of two regions do: one refuses a namespace's
 * writes with {@code 421} naming the other as home. (RegionsIT does the same against real nodes and a mirror.)
 */
class HomeRegionFollowingTest {

    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(server -> server.stop(0));
    }

    @Test
    void aWriteRefusedAsNotHomeIsMadeInTheHomeItNamesAndLaterWritesGoThereFirst() {
        Region home = region(exchange -> answer(exchange, 200, "written in the home"));
        // A copy serves reads below strong and refuses the rest, naming the home.
        Region copy = region(exchange -> {
            if (exchange.getRequestMethod().equals("GET") && !exchange.getRequestURI().getQuery().contains("strong")) {
                answer(exchange, 200, "the copy's value");
            } else {
                notHome(exchange, home.url());
            }
        });
        try (LogKvClient client = LogKvClient.builder().nodes(copy.url()).build()) {
            Written first = client.put("ns", "k", "v".getBytes(StandardCharsets.UTF_8), WriteOptions.defaults().idempotencyKey("write-1"));
            assertThat(first).isNotNull();
            assertThat(copy.seen()).containsExactly("PUT /v1/namespaces/ns/keys/k write-1");
            assertThat(home.seen()).as("the same request, under the same Idempotency-Key").containsExactly("PUT /v1/namespaces/ns/keys/k write-1");

            client.put("ns", "k2", "v2".getBytes(StandardCharsets.UTF_8), WriteOptions.defaults().idempotencyKey("write-2"));
            assertThat(copy.seen()).as("once the home is known, writes go there first").hasSize(1);
            assertThat(home.seen()).hasSize(2);

            // Reads below strong are served by the region at hand.
            assertThat(client.get("ns", "k")).hasValueSatisfying(read -> assertThat(read.text()).isEqualTo("the copy's value"));
            assertThat(copy.seen()).hasSize(2).last().asString().startsWith("GET /v1/namespaces/ns/keys/k?consistency=eventual");
            assertThat(home.seen()).hasSize(2);
            client.get("ns", "k", Consistency.STRONG);
            assertThat(home.seen()).hasSize(3).last().asString().startsWith("GET /v1/namespaces/ns/keys/k?consistency=strong");
        }
    }

    @Test
    void regionsThatNameEachOtherAsHomeAreFollowedWithPausesUntilTheDeadlineThenTheRefusalIsRaised() {
        Region[] regions = new Region[2];
        regions[0] = region(exchange -> notHome(exchange, regions[1].url()));
        regions[1] = region(exchange -> notHome(exchange, regions[0].url()));
        try (LogKvClient client = LogKvClient.builder().nodes(regions[0].url()).requestDeadline(Duration.ofSeconds(2)).build()) {
            assertThatThrownBy(() -> client.put("ns", "k", "v"))
                    .isInstanceOfSatisfying(LogKvException.class, refused -> {
                        assertThat(refused.status()).isEqualTo(421);
                        assertThat(refused.type()).isEqualTo("not-home-region");
                    });
        }
        int attempts = regions[0].seen().size() + regions[1].seen().size();
        // Pauses of 50 ms doubling to 1 s within 2 s: a handful of attempts, not a spin.
        assertThat(attempts).isBetween(3, 16);
    }

    private static void notHome(HttpExchange exchange, String home) throws IOException {
        exchange.getResponseHeaders().add("KV-Home-Region", "a");
        exchange.getResponseHeaders().add("KV-Home-Url", home + "/");
        exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
        answer(exchange, 421, "{\"type\":\"https://logkv.io/problems/not-home-region\",\"title\":\"Not the home region\",\"status\":421}");
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private Region region(Handler handler) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            List<String> seen = new CopyOnWriteArrayList<>();
            server.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                if (exchange.getRequestURI().getPath().endsWith("/namespaces/ns")) {
                    answer(exchange, 404, "");   // no topology: requests go to the nodes configured
                    return;
                }
                String idempotencyKey = exchange.getRequestHeaders().getFirst("Idempotency-Key");
                seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + (idempotencyKey == null ? "" : " " + idempotencyKey));
                handler.handle(exchange);
            });
            server.start();
            servers.add(server);
            return new Region("http://127.0.0.1:" + server.getAddress().getPort(), seen);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private record Region(String url, List<String> seen) {
    }
}
