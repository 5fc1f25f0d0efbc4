package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.NamespaceName;
import io.logkv.query.api.KeyEndpoint;
import io.logkv.testkit.KafkaTestCluster;
import java.io.OutputStream;
import java.net.InetSocketAddress;
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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that does not read its answers holds a container thread at most, never one of the node's own. An answer
 * that waited is completed by the node's thread that ended the wait: for a read forwarded to another node, a thread of
 * the HTTP client that carries every forwarded request of the node; for a write, the partition's commit thread; for a
 * read under a token, the replica's applier. It is written on a container thread. Before, the completing thread wrote
 * it, and once a client that pipelined large reads and read nothing had filled its socket's buffers (some megabytes),
 * that thread waited in the write, up to the connection's timeout, with the requests it served behind it.
 */
@Tag("integration")
class SlowReadersIT {

    private static final int LARGE = 1_000_000;
    private static final int PIPELINED = 12;
    private static final int SLOW_CLIENTS = 4;

    @TempDir
    Path dataDir;

    @Test
    void aClientThatDoesNotReadLargeForwardedAnswersDoesNotHoldUpOtherForwardedReads() throws Exception {
        NamespaceName ns = new NamespaceName("slowreader-" + Long.toString(System.nanoTime(), 36));
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        // One copy per partition: the node without it forwards every read of the namespace.
        String[] args = {"--logkv.replicas.copies=1", "--logkv.replicas.release-delay=1s"};
        try (LogKvNode a = LogKvNode.start("slow-reader-a", kafka, dataDir.resolve("a"), args);
             LogKvNode b = LogKvNode.start("slow-reader-b", kafka, dataDir.resolve("b"), args)) {
            LogKvNode owner = LogKvNode.ownerOfOnePartition(ns, a, b);
            LogKvNode front = owner == a ? b : a;
            HttpResponse<String> large = owner.put(ns.value(), "large", "x".repeat(LARGE));
            assertThat(large.statusCode()).as(large.body()).isEqualTo(200);
            for (int i = 0; i < 10; i++) {
                assertThat(owner.put(ns.value(), "small-" + i, "s" + i).statusCode()).isEqualTo(200);
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> read = front.get(ns.value(), "small-9");
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.headers().firstValue("KV-Replicas")).contains(owner.url(""));
            });

            HttpClient other = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<Socket> slow = new ArrayList<>();
            try {
                // Clients that pipeline reads of a 1 MB value on their connection and never read the answers.
                for (int c = 0; c < SLOW_CLIENTS; c++) {
                    Socket socket = new Socket();
                    slow.add(socket);
                    socket.setReceiveBufferSize(4096);
                    socket.connect(new InetSocketAddress("localhost", URI.create(front.url("/")).getPort()));
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < PIPELINED; i++) {
                        out.write(("GET /v1/namespaces/" + ns.value() + "/keys/large HTTP/1.1\r\nHost: localhost\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                }
                // The answers fill the sockets' buffers, and a write of the next one waits: on a container thread only.
                Awaitility.await("an answer's write waiting for a client that reads nothing").atMost(Duration.ofSeconds(30))
                        .until(() -> !threadsWritingAnswers().isEmpty());
                Thread.sleep(1_000);
                assertThat(threadsWritingAnswers()).as("threads waiting to write an answer to a client that reads nothing")
                        .isNotEmpty().allSatisfy(name -> assertThat(name).contains("-exec-"));

                // Another client's forwarded reads are answered meanwhile, each within its timeout.
                for (int i = 0; i < 20; i++) {
                    String key = "small-" + (i % 10);
                    HttpResponse<String> read = other.send(HttpRequest.newBuilder(URI.create(front.keyUrl(ns.value(), key)))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                    assertThat(read.body()).isEqualTo("s" + (i % 10));
                }
            } finally {
                for (Socket socket : slow) {
                    socket.close();
                }
            }
        }
    }

    /** The names of the threads writing an answer of the key endpoint right now. */
    private static List<String> threadsWritingAnswers() {
        List<String> writing = new ArrayList<>();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            for (StackTraceElement frame : stack) {
                if (frame.getClassName().equals(KeyEndpoint.class.getName()) && frame.getMethodName().equals("write")) {
                    writing.add(thread.getName());
                    return;
                }
            }
        });
        return writing;
    }
}
