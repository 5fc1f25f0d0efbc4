package io.logkv.client.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against an HTTP server that answers as a busy node does, {@code 503} or {@code 429} with
 * {@code Retry-After}: the client waits what the node asks, in seconds or as a date, however much longer that is than
 * its own pause, and a wait that would outlast the request's deadline fails the request at once with the node's problem.
 */
class RetryAfterTest {

    private static final String OVERLOADED = "{\"type\":\"https://logkv.io/problems/overloaded\",\"title\":\"Overloaded\",\"status\":503}";
    private static final String OVER_QUOTA = "{\"type\":\"https://logkv.io/problems/over-quota\",\"title\":\"Over quota\",\"status\":429}";

    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH);

    private HttpServer server;
    /** When each request for the key came, as a {@link System#nanoTime()}. */
    private final List<Long> asked = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aRetryAfterInSecondsLongerThanTheClientsOwnPauseIsWaitedOutBeforeTheRetry() {
        String url = node(exchange -> {
            if (asked.size() == 1) {
                busy(exchange, 503, "2", OVERLOADED);
            } else {
                answer(exchange, 200, "value");
            }
        });
        try (LogKvClient client = LogKvClient.builder().nodes(url).build()) {
            assertThat(client.get("ns", "k")).hasValueSatisfying(read -> assertThat(read.text()).isEqualTo("value"));
        }
        assertThat(asked).hasSize(2);
        assertThat(Duration.ofNanos(asked.get(1) - asked.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    }

    @Test
    void aRetryAfterAsAnHttpDateIsWaitedOutUntilThatDate() {
        String url = node(exchange -> {
            if (asked.size() == 1) {
                // Whole seconds: three from now, truncated, is more than two from now.
                String date = IMF_FIXDATE.format(Instant.now().plusSeconds(3).atOffset(ZoneOffset.UTC));
                busy(exchange, 429, date, OVER_QUOTA);
            } else {
                answer(exchange, 200, "value");
            }
        });
        try (LogKvClient client = LogKvClient.builder().nodes(url).build()) {
            assertThat(client.get("ns", "k")).isPresent();
        }
        assertThat(asked).hasSize(2);
        assertThat(Duration.ofNanos(asked.get(1) - asked.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    }

    @Test
    void aRetryAfterBeyondTheDeadlineFailsTheRequestAtOnceWithTheNodesProblem() {
        String url = node(exchange -> busy(exchange, 503, "120", OVERLOADED));
        try (LogKvClient client = LogKvClient.builder().nodes(url).requestDeadline(Duration.ofSeconds(5)).build()) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.put("ns", "k", "v"))
                    .isInstanceOfSatisfying(LogKvException.class, refused -> {
                        assertThat(refused.status()).isEqualTo(503);
                        assertThat(refused.type()).isEqualTo("overloaded");
                        assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(120));
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no sleep towards the deadline").isLessThan(Duration.ofSeconds(2));
        }
        assertThat(asked).as("asked once, not again until the deadline").hasSize(1);
    }

    @Test
    void aTooManyRequestsWhoseRetryAfterOutlastsTheDeadlineFailsAtOnceToo() {
        String url = node(exchange -> busy(exchange, 429, "10", OVER_QUOTA));
        try (LogKvClient client = LogKvClient.builder().nodes(url).requestDeadline(Duration.ofSeconds(3)).build()) {
            assertThatThrownBy(() -> client.get("ns", "k"))
                    .isInstanceOfSatisfying(LogKvException.class, refused -> {
                        assertThat(refused.status()).isEqualTo(429);
                        assertThat(refused.type()).isEqualTo("over-quota");
                    });
        }
        assertThat(asked).hasSize(1);
    }

    @Test
    void retryAfterIsReadAsSecondsOrAsAnHttpDateInAnyOfItsThreeFormats() {
        Instant now = Instant.parse("1994-11-06T08:49:30Z");
        assertThat(RetryAfter.parse("120", now)).isEqualTo(Duration.ofSeconds(120));
        assertThat(RetryAfter.parse(" 0 ", now)).isEqualTo(Duration.ZERO);
        assertThat(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now)).isEqualTo(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse("Sun, 6 Nov 1994 08:49:37 GMT", now)).as("as the JDK writes it").isEqualTo(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now)).isEqualTo(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse("Sun Nov  6 08:49:37 1994", now)).isEqualTo(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse("Sun, 06 Nov 1994 08:49:00 GMT", now)).as("a date gone by").isEqualTo(Duration.ZERO);
        // An rfc850 year more than 50 years ahead is the last such year gone by.
        assertThat(RetryAfter.parse("Tuesday, 06-Nov-45 08:49:37 GMT", now)).isEqualTo(Duration.ZERO);
        assertThat(RetryAfter.parse("Thursday, 06-Nov-42 08:49:37 GMT", now)).isGreaterThan(Duration.ofDays(365 * 47));
        // More seconds than a long holds: a wait past any deadline, not an overflow.
        assertThat(RetryAfter.parse("99999999999999999999999", now)).isGreaterThan(Duration.ofDays(365L * 1_000_000));
        for (String meaningless : new String[] {"", "-5", "+5", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37 CET", "Mon, 06 Nov 1994 08:49:37 GMT"}) {
            assertThat(RetryAfter.parse(meaningless, now)).as(meaningless).isNull();
        }
    }

    private static void busy(HttpExchange exchange, int status, String retryAfter, String problem) throws IOException {
        exchange.getResponseHeaders().add("Retry-After", retryAfter);
        exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
        answer(exchange, status, problem);
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    /** A node that knows no topology (requests go to it as configured) and answers requests for keys with {@code handler}. */
    private String node(Handler handler) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                if (exchange.getRequestURI().getPath().endsWith("/namespaces/ns")) {
                    answer(exchange, 404, "");
                    return;
                }
                asked.add(System.nanoTime());
                handler.handle(exchange);
            });
            server.start();
            return "http://127.0.0.1:" + server.getAddress().getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }
}
