package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.KafkaTestCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Change streams are bounded per client and per namespace under the node's own bound: a client or a namespace
 * that holds as many streams as it may gets {@code 429 too-many-watches} with {@code Retry-After}, while another
 * namespace still gets its streams, and a stream that ends gives its places back.
 */
@Tag("integration")
class WatchLimitsIT {

    private final String ns = "watch-limits-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    @Test
    void aClientOrANamespaceHoldsNoMoreStreamsThanItMayAndAnEndedStreamGivesItsPlacesBack() throws Exception {
        // On an open node every client of this test is one client: its address.
        try (LogKvNode node = LogKvNode.start("watch-limits", KafkaTestCluster.shared().bootstrapServers(), dataDir.resolve("n"),
                "--logkv.watch.max-watches-per-client=3", "--logkv.watch.max-watches-per-namespace=2", "--logkv.watch.heartbeat=200ms")) {
            assertThat(node.putNamespace(ns, "{\"partitions\":1}").statusCode()).isIn(200, 201);
            assertThat(node.putNamespace(ns + "-b", "{\"partitions\":1}").statusCode()).isIn(200, 201);
            List<Socket> open = new ArrayList<>();
            try {
                Socket first = watch(node, ns);
                open.add(first);
                open.add(watch(node, ns));
                assertThat(refusal(node, ns)).as("the namespace's third stream").startsWith("HTTP/1.1 429")
                        .contains("too-many-watches").contains("Retry-After");

                open.add(watch(node, ns + "-b"));
                assertThat(refusal(node, ns + "-b")).as("the client's fourth stream, of a namespace with room").startsWith("HTTP/1.1 429")
                        .contains("too-many-watches");

                // A stream whose client went away gives back the client's place and the namespace's.
                first.close();
                open.remove(first);
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
                    Socket again = tryWatch(node, ns);
                    if (again == null) {
                        return false;
                    }
                    open.add(again);
                    return true;
                });
            } finally {
                for (Socket socket : open) {
                    socket.close();
                }
            }
        }
    }

    /** A stream of {@code namespace} held open on a socket of its own (its head read: 200). */
    private static Socket watch(LogKvNode node, String namespace) throws IOException {
        Socket socket = tryWatch(node, namespace);
        assertThat(socket).as("a stream of " + namespace).isNotNull();
        return socket;
    }

    /** A stream of {@code namespace} held open, or null when the node refused it (the socket then closed). */
    private static Socket tryWatch(LogKvNode node, String namespace) throws IOException {
        Socket socket = request(node, namespace);
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        String status = in.readLine();
        if (status != null && status.startsWith("HTTP/1.1 200")) {
            return socket;
        }
        socket.close();
        return null;
    }

    /** The head and body of a refused watch of {@code namespace}. */
    private static String refusal(LogKvNode node, String namespace) throws IOException {
        try (Socket socket = request(node, namespace)) {
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static Socket request(LogKvNode node, String namespace) throws IOException {
        URI url = URI.create(node.url("/v1/namespaces/" + namespace + "/watch"));
        Socket socket = new Socket(url.getHost(), url.getPort());
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(("GET " + url.getPath() + " HTTP/1.1\r\nHost: " + url.getHost() + "\r\nAccept: text/event-stream\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }
}
