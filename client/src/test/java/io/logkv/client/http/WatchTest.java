package io.logkv.client.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's watch against a plain socket server that answers as a node does, and breaks its streams where a
 * test says: a stream cut in the middle, or one that falls silent without closing, resumes after the last change
 * delivered; one kept alive by heartbeats is not; and a refusal that would be the same on any node reaches the
 * subscriber instead of being asked again forever.
 */
class WatchTest {

    private static final String PUT = "{\"key\":\"k%d\",\"partition\":0,\"position\":%d,\"version\":\"0192f3a1b2c30000a1b2c3d4\"}";

    private ServerSocket server;
    private final List<String> resumedWith = new CopyOnWriteArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aStreamCutInTheMiddleResumesAfterTheLastChangeItDelivered() throws Exception {
        serve((request, out) -> {
            int streams = resumedWith.size();
            resumedWith.add(header(request, "last-event-id"));
            StringBuilder events = new StringBuilder("event: ready\nid: start\ndata: {}\n\n");
            for (int i = 1; i <= 2; i++) {
                int n = streams * 2 + i;
                events.append("event: put\nid: after-").append(n).append("\ndata: ").append(String.format(PUT, n, n)).append("\n\n");
            }
            headAndChunk(out, events.toString());
            // Cut: no last chunk, the connection just closes (a node killed, a connection reset).
        });
        List<Change> seen = new CopyOnWriteArrayList<>();
        try (LogKvClient client = LogKvClient.builder().nodes("http://localhost:" + server.getLocalPort()).build()) {
            client.watch("ns", null, null).subscribe(collector(seen, new CompletableFuture<>()));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (resumedWith.size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertThat(resumedWith.subList(0, 3)).as("Last-Event-ID of each stream").containsExactly(null, "after-2", "after-4");
        assertThat(seen.stream().map(Change::key).limit(4)).containsExactly("k1", "k2", "k3", "k4");
    }

    @Test
    void aStreamThatFallsSilentWithoutClosingIsResumedAfterTheLastChangeItDelivered() throws Exception {
        serve((request, out) -> {
            int streams = resumedWith.size();
            resumedWith.add(header(request, "last-event-id"));
            int n = streams + 1;
            streamHead(out);
            chunk(out, "event: ready\nid: start-" + n + "\ndata: {}\n\n"
                    + "event: put\nid: after-" + n + "\ndata: " + String.format(PUT, n, n) + "\n\n");
            // Frozen: no more bytes, no heartbeat, and the connection stays open (a node stopped, a partition).
            holdOpen();
        });
        List<Change> seen = new CopyOnWriteArrayList<>();
        watchWithIdleTimeoutOfOneSecond(seen, () -> resumedWith.size() >= 3);
        assertThat(resumedWith).as("Last-Event-ID of each stream").hasSizeGreaterThanOrEqualTo(3);
        assertThat(resumedWith.subList(0, 3)).containsExactly(null, "after-1", "after-2");
        assertThat(seen.stream().map(Change::key).limit(2)).containsExactly("k1", "k2");
    }

    @Test
    void aWatchWhoseAnswerNeverBeginsIsAskedAgain() throws Exception {
        serve((request, out) -> {
            int streams = resumedWith.size();
            resumedWith.add(header(request, "last-event-id"));
            if (streams == 0) {
                holdOpen(); // the request was read, and nothing is ever answered
                return;
            }
            headAndChunk(out, "event: ready\nid: start\ndata: {}\n\nevent: put\nid: after-1\ndata: " + String.format(PUT, 1, 1) + "\n\n");
            holdOpen();
        });
        List<Change> seen = new CopyOnWriteArrayList<>();
        watchWithIdleTimeoutOfOneSecond(seen, () -> !seen.isEmpty());
        assertThat(seen).extracting(Change::key).containsExactly("k1");
    }

    @Test
    void aQuietStreamKeptAliveByHeartbeatsIsNotResumed() throws Exception {
        serve((request, out) -> {
            int streams = resumedWith.size();
            resumedWith.add(header(request, "last-event-id"));
            streamHead(out);
            chunk(out, "event: ready\nid: start\ndata: {}\n\n");
            if (streams > 0) {
                holdOpen();
                return;
            }
            // Quiet for three idle timeouts, a heartbeat comment every fifth of one; then a change, then the cut.
            for (int i = 0; i < 15; i++) {
                sleep(200);
                chunk(out, ":heartbeat\n\n");
            }
            chunk(out, "event: put\nid: after-1\ndata: " + String.format(PUT, 1, 1) + "\n\n");
        });
        List<Change> seen = new CopyOnWriteArrayList<>();
        watchWithIdleTimeoutOfOneSecond(seen, () -> resumedWith.size() >= 2);
        assertThat(resumedWith).as("the heartbeats kept the first stream; it was resumed only once cut, after its change")
                .containsExactly(null, "after-1");
        assertThat(seen).extracting(Change::key).containsExactly("k1");
    }

    @Test
    void aWatchOfANamespaceThatDoesNotExistEndsWithTheRefusal() throws Exception {
        serve((request, out) -> {
            resumedWith.add(header(request, "last-event-id"));
            byte[] body = "{\"type\":\"/problems/namespace-not-found\",\"status\":404}".getBytes(StandardCharsets.UTF_8);
            try {
                out.write(("HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        try (LogKvClient client = LogKvClient.builder().nodes("http://localhost:" + server.getLocalPort()).build()) {
            client.watch("missing", null, null).subscribe(collector(new ArrayList<>(), ended));
            Throwable error = ended.get(20, TimeUnit.SECONDS);
            assertThat(error).isInstanceOfSatisfying(LogKvException.class, refused -> assertThat(refused.status()).isEqualTo(404));
        }
        assertThat(resumedWith).as("asked once, not again and again").hasSize(1);
    }

    @Test
    void aWatchRefusedWithRetryAfterAsksAgainNoSoonerThanTheNodeSaid() throws Exception {
        List<Long> asked = new CopyOnWriteArrayList<>();
        serve((request, out) -> {
            asked.add(System.nanoTime());
            resumedWith.add(header(request, "last-event-id"));
            if (asked.size() == 1) {
                byte[] body = "{\"type\":\"/problems/overloaded\",\"status\":503}".getBytes(StandardCharsets.UTF_8);
                try {
                    out.write(("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\nContent-Type: application/problem+json\r\n"
                            + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return;
            }
            headAndChunk(out, "event: ready\nid: start\ndata: {}\n\nevent: put\nid: after-1\ndata: " + String.format(PUT, 1, 1) + "\n\n");
            holdOpen();
        });
        List<Change> seen = new CopyOnWriteArrayList<>();
        try (LogKvClient client = LogKvClient.builder().nodes("http://localhost:" + server.getLocalPort()).build()) {
            client.watch("ns", null, null).subscribe(collector(seen, new CompletableFuture<>()));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertThat(seen).extracting(Change::key).containsExactly("k1");
        assertThat(asked).hasSize(2);
        assertThat(Duration.ofNanos(asked.get(1) - asked.get(0))).as("the node's Retry-After, not the client's half-second pause")
                .isGreaterThanOrEqualTo(Duration.ofMillis(2900));
    }

    @Test
    void aCancelledWatchLetsItsStreamGoAtOnceNotAtTheIdleTimeout() throws Exception {
        serve((request, out) -> {
            resumedWith.add(header(request, "last-event-id"));
            headAndChunk(out, "event: ready\nid: start\ndata: {}\n\nevent: put\nid: after-1\ndata: " + String.format(PUT, 1, 1) + "\n\n");
            holdOpen(); // silent from then on, not even a heartbeat
        });
        CompletableFuture<Flow.Subscription> subscribed = new CompletableFuture<>();
        List<Change> seen = new CopyOnWriteArrayList<>();
        try (LogKvClient client = LogKvClient.builder().nodes("http://localhost:" + server.getLocalPort())
                .watchIdleTimeout(Duration.ofSeconds(60)).build()) {
            client.watch("ns", null, null).subscribe(collector(seen, new CompletableFuture<>(), subscribed));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(seen).extracting(Change::key).containsExactly("k1");
            Socket stream = accepted.get(0);
            stream.setSoTimeout(5_000);
            subscribed.join().cancel();
            // Read from the node's side: the client closes the connection within the socket timeout, or the read fails.
            assertThat(stream.getInputStream().read()).as("the client let the stream go").isEqualTo(-1);
            Thread.sleep(300);
            assertThat(resumedWith).as("and did not ask again").hasSize(1);
        }
    }

    /** Watches the server's namespace, with an idle timeout of one second, until {@code done} or 15 s have passed. */
    private void watchWithIdleTimeoutOfOneSecond(List<Change> seen, BooleanSupplier done) throws InterruptedException {
        try (LogKvClient client = LogKvClient.builder().nodes("http://localhost:" + server.getLocalPort())
                .watchIdleTimeout(Duration.ofSeconds(1)).build()) {
            client.watch("ns", null, null).subscribe(collector(seen, new CompletableFuture<>()));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!done.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
    }

    /**
     * Accepts connections, each answered on a thread of its own (an answer may hold its connection open); each
     * request's head is read, then {@code answer} writes on the socket, which is closed when it returns.
     */
    private void serve(BiConsumer<List<String>, OutputStream> answer) throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket connection = server.accept();
                    accepted.add(connection);
                    Thread answering = new Thread(() -> {
                        try (Socket socket = connection) {
                            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
                            List<String> head = new ArrayList<>();
                            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                                head.add(line);
                            }
                            answer.accept(head, socket.getOutputStream());
                            socket.getOutputStream().flush();
                        } catch (Exception gone) {
                            // the client went away
                        }
                    }, "watch-test-connection");
                    answering.setDaemon(true);
                    answering.start();
                } catch (Exception closed) {
                    // the server was stopped
                }
            }
        }, "watch-test-server");
        accepting.setDaemon(true);
        accepting.start();
    }

    /** Keeps the connection open and silent until the server stops. */
    private void holdOpen() {
        while (!server.isClosed()) {
            sleep(50);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String header(List<String> head, String name) {
        return head.stream().filter(line -> line.toLowerCase().startsWith(name + ":"))
                .map(line -> line.substring(line.indexOf(':') + 1).strip()).findFirst().orElse(null);
    }

    /** A 200 event stream's head and one chunk holding {@code events}. */
    private static void headAndChunk(OutputStream out, String events) {
        streamHead(out);
        chunk(out, events);
    }

    /** The head of a 200 event stream, its body chunked. */
    private static void streamHead(OutputStream out) {
        try {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One chunk of an event stream's body, holding {@code events}. */
    private static void chunk(OutputStream out, String events) {
        try {
            byte[] bytes = events.getBytes(StandardCharsets.UTF_8);
            out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Flow.Subscriber<Change> collector(List<Change> into, CompletableFuture<Throwable> ended) {
        return collector(into, ended, new CompletableFuture<>());
    }

    /** Collects every change into {@code into}, and hands out its subscription through {@code subscribed}. */
    private static Flow.Subscriber<Change> collector(List<Change> into, CompletableFuture<Throwable> ended,
                                                     CompletableFuture<Flow.Subscription> subscribed) {
        return new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscribed.complete(subscription);
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Change change) {
                into.add(change);
            }

            @Override
            public void onError(Throwable error) {
                ended.complete(error);
            }

            @Override
            public void onComplete() {
                ended.complete(null);
            }
        };
    }
}
