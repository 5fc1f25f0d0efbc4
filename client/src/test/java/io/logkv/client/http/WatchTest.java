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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's watch against a plain socket server that answers as a node does, and breaks its streams where a
 * test says: a stream cut in the middle resumes after the last change delivered, and a refusal that would be the
 * same on any node reaches the subscriber instead of being asked again forever.
 */
class WatchTest {

    private static final String PUT = "{\"key\":\"k%d\",\"partition\":0,\"position\":%d,\"version\":\"0192f3a1b2c30000a1b2c3d4\"}";

    private ServerSocket server;
    private final List<String> resumedWith = new CopyOnWriteArrayList<>();

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
            chunk(out, events.toString());
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

    /** Accepts connections one after another; each request's head is read, then {@code answer} writes on the socket. */
    private void serve(BiConsumer<List<String>, OutputStream> answer) throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
                    List<String> head = new ArrayList<>();
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        head.add(line);
                    }
                    answer.accept(head, socket.getOutputStream());
                    socket.getOutputStream().flush();
                } catch (Exception closed) {
                    // the server was stopped, or the client went away
                }
            }
        }, "watch-test-server");
        accepting.setDaemon(true);
        accepting.start();
    }

    private static String header(List<String> head, String name) {
        return head.stream().filter(line -> line.toLowerCase().startsWith(name + ":"))
                .map(line -> line.substring(line.indexOf(':') + 1).strip()).findFirst().orElse(null);
    }

    /** A 200 event stream's head and one chunk holding {@code events}. */
    private static void chunk(OutputStream out, String events) {
        try {
            byte[] bytes = events.getBytes(StandardCharsets.UTF_8);
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Flow.Subscriber<Change> collector(List<Change> into, CompletableFuture<Throwable> ended) {
        return new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
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
