package io.logkv.query;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.logkv.query.resp.RespServer;
import io.logkv.testkit.KafkaTestCluster;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Redis-protocol endpoint through a standard Java Redis client (Lettuce, with its defaults): every
 * command and its errors, expiry, a connection reading its own writes and a token carried from one
 * connection (and from HTTP) to another, writes forwarded to their owner, the limits, authentication,
 * rights and quotas on a secured node, and malformed input that never harms the node.
 */
@Tag("integration")
class RespEndpointIT {

    private final String ns = "resp-" + Long.toString(System.nanoTime(), 36);

    /** Netty's leak tracking on every buffer (JVM-wide: every node of a test sets it, the last start wins). */
    private static final String PARANOID = "--logkv.resp.leak-detection=paranoid";

    @TempDir
    Path dataDir;

    @Test
    void everyCommandAnswersAsRedisWouldOnTheSameKeyOperationsAsHttp() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode a = LogKvNode.start("resp-a", kafka, dataDir.resolve("a"), "--logkv.resp.enabled=true", "--logkv.resp.port=0", PARANOID,
                "--logkv.limits.max-key-bytes=64", "--logkv.limits.max-value-bytes=4KB", "--logkv.compactor.scan-interval=200ms",
                "--logkv.replicas.max-answer-bytes=10KB");
             LogKvNode b = LogKvNode.start("resp-b", kafka, dataDir.resolve("b"), "--logkv.resp.enabled=true", "--logkv.resp.port=0", PARANOID,
                     "--logkv.limits.max-key-bytes=64", "--logkv.limits.max-value-bytes=4KB")) {
            // Attached once the nodes are up: starting a node sets logging up anew, dropping appenders.
            ListAppender<ILoggingEvent> leaks = new ListAppender<>();
            leaks.start();
            ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).addAppender(leaks);
            assertThat(a.putNamespace(ns, "{\"partitions\":4}").statusCode()).isIn(200, 201);
            assertThat(a.putNamespace(ns + "-other", "{\"partitions\":1}").statusCode()).isIn(200, 201);
            RedisClient client = RedisClient.create();
            try (StatefulRedisConnection<String, String> onA = client.connect(StringCodec.UTF8, uri(a));
                 StatefulRedisConnection<String, String> onB = client.connect(StringCodec.UTF8, uri(b))) {
                RedisCommands<String, String> redis = onA.sync();
                assertThat(redis.ping()).isEqualTo("PONG");
                assertThat(redis.echo("hello")).isEqualTo("hello");
                assertThat(redis.select(0)).isEqualTo("OK");
                assertThatThrownBy(() -> redis.select(1)).hasMessageContaining("LOGKV.NAMESPACE");
                assertThat(call(redis, "LOGKV.NAMESPACE", ns)).isEqualTo("OK");
                assertThatThrownBy(() -> call(redis, "LOGKV.NAMESPACE", "no-such-" + ns)).isInstanceOf(RedisCommandExecutionException.class)
                        .hasMessageStartingWith("NAMESPACE-NOT-FOUND");
                assertThat(value(redis, "LOGKV.NAMESPACE")).isEqualTo(ns);

                // Writes through node a, half of them to partitions node b owns (forwarded), each read back at once.
                for (int i = 0; i < 20; i++) {
                    assertThat(redis.set("k" + i, "v" + i)).isEqualTo("OK");
                    assertThat(redis.get("k" + i)).as("a connection reads its own writes").isEqualTo("v" + i);
                }
                assertThat(redis.get("missing")).isNull();
                assertThat(redis.mget("k1", "missing", "k2")).containsExactly(KeyValue.just("k1", "v1"), KeyValue.empty("missing"),
                        KeyValue.just("k2", "v2"));
                assertThat(redis.exists("k1", "k2", "missing")).isEqualTo(2);
                // MGET answers at most max-answer-bytes of values (10 KB here), or an error rather than more.
                String large = "x".repeat(3_000);
                for (int i = 0; i < 4; i++) {
                    assertThat(redis.set("large" + i, large)).isEqualTo("OK");
                }
                assertThat(redis.mget("large0", "large1", "large2")).extracting(KeyValue::getValue).containsOnly(large);
                assertThatThrownBy(() -> redis.mget("large0", "large1", "large2", "large3")).isInstanceOf(RedisCommandExecutionException.class)
                        .hasMessageStartingWith("TOO-LARGE");
                assertThat(redis.get("large3")).as("the connection goes on").isEqualTo(large);
                assertThat(redis.set("k1", "again", SetArgs.Builder.nx())).as("NX on a present key").isNull();
                assertThat(redis.set("fresh", "1", SetArgs.Builder.nx())).isEqualTo("OK");
                assertThat(redis.set("absent", "1", SetArgs.Builder.xx())).as("XX on an absent key").isNull();
                assertThat(redis.get("absent")).isNull();
                assertThat(redis.set("k1", "changed", SetArgs.Builder.xx())).isEqualTo("OK");
                assertThat(redis.del("k1", "k2", "missing")).as("DEL counts the keys that held a value").isEqualTo(2);
                assertThat(redis.exists("k1", "k2")).isZero();

                // The connection's token, handed to a connection on node b, makes b's reads wait for a's writes.
                assertThat(redis.set("handed", "over")).isEqualTo("OK");
                String token = value(redis, "LOGKV.TOKEN");
                assertThat(token).isNotBlank();
                RedisCommands<String, String> other = onB.sync();
                assertThat(call(other, "LOGKV.NAMESPACE", ns)).isEqualTo("OK");
                // The namespace is seconds old: node b may not hold its replicas yet (REPLICA-UNAVAILABLE, retry after 1 s).
                for (int i = 0; i < 20; i++) {
                    String key = "k" + i;
                    Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreException(RedisCommandExecutionException.class)
                            .until(() -> other.get(key) != null || true);
                }
                assertThat(call(other, "LOGKV.TOKEN", token)).isEqualTo("OK");
                assertThat(other.get("handed")).isEqualTo("over");
                assertThat(other.get("k5")).isEqualTo("v5");
                assertThatThrownBy(() -> call(other, "LOGKV.TOKEN", "not a token")).hasMessageStartingWith("BAD-TOKEN");
                // The same token over HTTP, and an HTTP write's token on RESP.
                HttpResponse<String> overHttp = b.get(ns, "handed", "KV-Token", token);
                assertThat(overHttp.body()).isEqualTo("over");
                HttpResponse<String> httpWrite = b.put(ns, "from-http", "via http");
                assertThat(call(redis, "LOGKV.TOKEN", httpWrite.headers().firstValue("KV-Token").orElseThrow())).isEqualTo("OK");
                assertThat(redis.get("from-http")).isEqualTo("via http");
                assertThat(call(redis, "LOGKV.CONSISTENCY", "strong")).isEqualTo("OK");
                assertThat(redis.get("from-http")).isEqualTo("via http");
                assertThatThrownBy(() -> call(redis, "LOGKV.CONSISTENCY", "linear")).hasMessageStartingWith("BAD-CONSISTENCY");
                assertThat(call(redis, "LOGKV.CONSISTENCY", "default")).isEqualTo("OK");

                // Expiry: EX and PX, read as absent once passed, on every node.
                assertThat(redis.set("brief", "x", SetArgs.Builder.px(800))).isEqualTo("OK");
                assertThat(redis.set("lasting", "y", SetArgs.Builder.ex(3600))).isEqualTo("OK");
                assertThat(redis.get("brief")).isEqualTo("x");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> redis.get("brief") == null);
                assertThat(redis.get("lasting")).isEqualTo("y");
                assertThatThrownBy(() -> redis.set("bad", "x", SetArgs.Builder.ex(0))).hasMessageContaining("invalid expire time");

                // Another namespace is another key space.
                assertThat(call(redis, "LOGKV.NAMESPACE", ns + "-other")).isEqualTo("OK");
                assertThat(redis.get("lasting")).isNull();
                assertThat(call(redis, "LOGKV.NAMESPACE", ns)).isEqualTo("OK");

                // Limits: a key too long is refused and changes nothing; the connection goes on.
                assertThatThrownBy(() -> redis.set("k".repeat(65), "x")).hasMessageStartingWith("KEY-TOO-LONG");
                assertThatThrownBy(() -> redis.get("k".repeat(65))).hasMessageStartingWith("KEY-TOO-LONG");
                assertThat(redis.get("lasting")).isEqualTo("y");
                assertThatThrownBy(() -> redis.incr("lasting")).hasMessageStartingWith("ERR unknown command");
            }
            // A value too long is refused before it is read whole, and its connection is closed; nothing was written.
            try (StatefulRedisConnection<String, String> big = client.connect(StringCodec.UTF8, uri(a))) {
                big.sync().dispatch(keyword("LOGKV.NAMESPACE"), new StatusOutput<>(StringCodec.UTF8),
                        new CommandArgs<>(StringCodec.UTF8).add(ns));
                assertThatThrownBy(() -> big.sync().set("huge", "x".repeat(5000))).hasMessageStartingWith("VALUE-TOO-LARGE");
            }
            assertThat(a.get(ns, "huge").statusCode()).isEqualTo(404);
            client.shutdown();

            // Malformed input, raw on the socket: an error or a closed connection, never a failed node.
            Random random = new Random(42);
            for (int i = 0; i < 150; i++) {
                byte[] junk = new byte[1 + random.nextInt(300)];
                random.nextBytes(junk);
                if (i % 3 == 0) {
                    junk[0] = (byte) "*$+-:".charAt(random.nextInt(5));
                }
                sendRaw(a, junk);
            }
            assertThat(new String(sendRaw(a, "PING\r\n".getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
            // Commands no command takes are refused before they are read whole: nested arrays, more words inline than
            // any command has, more bytes in all than any command carries (each bulk string within the value limit).
            assertThat(rawText(a, "*2\r\n*1\r\n$1\r\na\r\n$1\r\nb\r\n")).startsWith("-ERR Protocol error: a command is an array");
            // Empty words are words (they come whole, without a header): the commands after them are read as before.
            assertThat(rawText(a, "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n")).isEqualTo("$0\r\n\r\n+PONG\r\n");
            assertThat(rawText(a, "MGET" + " k".repeat(2_000) + "\r\n")).startsWith("-ERR Protocol error: a command has at most");
            // Here at most 4 KB + 1,016 keys of 64 bytes (69,120 bytes): the seventeenth 4 KB word is one too many.
            String word = "$4096\r\n" + "x".repeat(4096) + "\r\n";
            assertThat(rawText(a, "*20\r\n$4\r\nMGET\r\n" + word.repeat(16) + "$4096\r\n"))
                    .startsWith("-ERR Protocol error: a command carries at most 69120 bytes");
            // A key that is not UTF-8 is refused by a read as by a write, on either node.
            java.io.ByteArrayOutputStream notUtf8 = new java.io.ByteArrayOutputStream();
            notUtf8.writeBytes(("*2\r\n$15\r\nLOGKV.NAMESPACE\r\n$" + ns.length() + "\r\n" + ns + "\r\n").getBytes(StandardCharsets.US_ASCII));
            notUtf8.writeBytes("*2\r\n$3\r\nGET\r\n$2\r\n".getBytes(StandardCharsets.US_ASCII));
            notUtf8.writeBytes(new byte[] {(byte) 0xff, (byte) 0xfe, '\r', '\n'});
            notUtf8.writeBytes("*2\r\n$6\r\nEXISTS\r\n$1\r\n".getBytes(StandardCharsets.US_ASCII));
            notUtf8.writeBytes(new byte[] {(byte) 0xc3, '\r', '\n'});
            for (LogKvNode node : List.of(a, b)) {
                String replies = new String(sendRaw(node, notUtf8.toByteArray()), StandardCharsets.US_ASCII);
                assertThat(replies).startsWith("+OK\r\n-BAD-KEY ").contains("\r\n-BAD-KEY ");
            }
            assertThat(a.send(HttpRequest.newBuilder(URI.create(a.url("/actuator/health/liveness")))).statusCode()).isEqualTo(200);
            assertThat(a.get(ns, "lasting").body()).isEqualTo("y");

            // Every buffer was tracked: one collected unreleased is reported when the next buffers are allocated.
            System.gc();
            for (int i = 0; i < 50; i++) {
                sendRaw(a, "PING\r\n".getBytes(StandardCharsets.US_ASCII));
                sendRaw(b, "PING\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            List<ILoggingEvent> reported;
            synchronized (leaks) {
                reported = List.copyOf(leaks.list);
            }
            assertThat(reported).extracting(ILoggingEvent::getFormattedMessage).noneMatch(line -> line.contains("LEAK"));
        }
    }

    @Test
    void withAnSslBundleTheEndpointTakesOnlyTlsConnections() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        Path keystore = dataDir.resolve("resp.p12");
        Path certificate = dataDir.resolve("resp.pem");
        keytool("-genkeypair", "-alias", "resp", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", "resp-secret", "-keypass", "resp-secret");
        keytool("-exportcert", "-rfc", "-alias", "resp", "-keystore", keystore.toString(), "-storepass", "resp-secret",
                "-file", certificate.toString());
        String tlsNs = "tls-" + ns;
        try (LogKvNode node = LogKvNode.start("resp-tls", kafka, dataDir.resolve("tls"), "--logkv.resp.enabled=true", "--logkv.resp.port=0", PARANOID,
                "--logkv.resp.namespace=" + tlsNs, "--logkv.resp.ssl-bundle=resp",
                "--spring.ssl.bundle.jks.resp.keystore.location=file:" + keystore,
                "--spring.ssl.bundle.jks.resp.keystore.password=resp-secret", "--spring.ssl.bundle.jks.resp.keystore.type=PKCS12")) {
            assertThat(node.putNamespace(tlsNs, "{\"partitions\":1}").statusCode()).isIn(200, 201);
            RedisClient client = RedisClient.create();
            client.setOptions(ClientOptions.builder().sslOptions(SslOptions.builder().jdkSslProvider()
                    .trustManager(certificate.toFile()).build()).build());
            RedisURI tls = RedisURI.builder().withHost("localhost").withPort(node.bean(RespServer.class).port()).withSsl(true)
                    .withVerifyPeer(true).withTimeout(Duration.ofSeconds(20)).build();
            try (StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8, tls)) {
                RedisCommands<String, String> redis = connection.sync();
                assertThat(redis.ping()).isEqualTo("PONG");
                Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreException(RedisCommandExecutionException.class)
                        .until(() -> "OK".equals(redis.set("k", "over tls")));
                assertThat(redis.get("k")).isEqualTo("over tls");
            } finally {
                client.shutdown();
            }
            assertThat(node.get(tlsNs, "k").body()).as("the same key operations as HTTP").isEqualTo("over tls");
            // A client speaking plain RESP to the TLS port gets no answer to its commands; the node serves on.
            assertThat(new String(sendRaw(node, "PING\r\n".getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII))
                    .doesNotContain("PONG");
            assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/health/liveness")))).statusCode()).isEqualTo(200);
        }
    }

    /** Runs the JDK's keytool (beside the running java) and fails the test if it fails. */
    private static void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as(output).isZero();
    }

    @Test
    void aSecuredNodeAsksForAnApiKeyAndHoldsConnectionsToTheirRights() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        String secured = "sec-" + ns;
        try (LogKvNode node = LogKvNode.start("resp-sec", kafka, dataDir.resolve("sec"),
                SecuredNodes.args("--logkv.resp.enabled=true", "--logkv.resp.port=0", PARANOID, "--logkv.resp.namespace=" + secured,
                        "--logkv.quotas.clients.app.writes-per-second=1"))) {
            HttpResponse<String> created = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + secured)))
                    .header("Authorization", "ApiKey " + SecuredNodes.apiKey("root")).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"partitions\":1}")));
            assertThat(created.statusCode()).isIn(200, 201);
            // Before AUTH: no answer tells whether a namespace exists, and a command longer than AUTH needs is refused
            // before the node reads it.
            for (String name : List.of(secured, "no-such-namespace")) {
                assertThat(rawText(node, "*2\r\n$15\r\nLOGKV.NAMESPACE\r\n$" + name.length() + "\r\n" + name + "\r\n"))
                        .as(name).startsWith("-NOAUTH");
            }
            assertThat(rawText(node, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n")).startsWith("-NOAUTH").contains("at most");
            RedisClient client = RedisClient.create();
            try (StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8, uri(node))) {
                RedisCommands<String, String> redis = connection.sync();
                assertThat(redis.ping()).isEqualTo("PONG");
                assertThatThrownBy(() -> redis.get("k")).hasMessageStartingWith("NOAUTH");
                assertThatThrownBy(() -> redis.auth("not a key")).hasMessageStartingWith("WRONGPASS");
                assertThat(redis.auth(SecuredNodes.apiKey("reader"))).isEqualTo("OK");
                // The namespace is a moment old: its replica may still be replaying (503 REPLICA-UNAVAILABLE, as over HTTP).
                Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreException(RedisCommandExecutionException.class)
                        .until(() -> redis.get("k") == null);
                assertThatThrownBy(() -> redis.set("k", "v")).hasMessageStartingWith("NOPERM");
                assertThat(redis.auth(SecuredNodes.apiKey("app"))).isEqualTo("OK");
                assertThat(redis.set("k", "v")).isEqualTo("OK");
                assertThat(redis.get("k")).isEqualTo("v");
                // Quotas are the HTTP API's: app may write once a second. Four connections of app write at the same
                // moment (one connection's writes wait for each other, and a slow one could outlast the second).
                List<StatefulRedisConnection<String, String>> others = new java.util.ArrayList<>();
                try {
                    for (int i = 0; i < 4; i++) {
                        StatefulRedisConnection<String, String> other = client.connect(StringCodec.UTF8, uri(node));
                        others.add(other);
                        assertThat(other.sync().auth(SecuredNodes.apiKey("app"))).isEqualTo("OK");
                    }
                    List<io.lettuce.core.RedisFuture<String>> sets = new java.util.ArrayList<>();
                    for (int i = 0; i < others.size(); i++) {
                        sets.add(others.get(i).async().set("k", "again-" + i));
                    }
                    java.util.Set<String> admitted = new java.util.HashSet<>(java.util.Set.of("v"));
                    int overQuota = 0;
                    for (int i = 0; i < sets.size(); i++) {
                        try {
                            assertThat(sets.get(i).get(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("OK");
                            admitted.add("again-" + i);
                        } catch (java.util.concurrent.ExecutionException e) {
                            assertThat(e.getCause()).hasMessageStartingWith("OVER-QUOTA");
                            overQuota++;
                        }
                    }
                    assertThat(overQuota).as("writes over app's rate of one a second").isGreaterThanOrEqualTo(2);
                    assertThat(redis.get("k")).as("a refused write changes nothing").isIn(admitted);
                } finally {
                    others.forEach(StatefulRedisConnection::close);
                }
                assertThat(redis.auth(SecuredNodes.apiKey("outsider"))).isEqualTo("OK");
                assertThatThrownBy(() -> redis.get("k")).hasMessageStartingWith("NOPERM");
                for (String name : List.of(secured, "no-such-namespace")) {
                    assertThatThrownBy(() -> call(redis, "LOGKV.NAMESPACE", name)).as(name).hasMessageStartingWith("NOPERM");
                }
            } finally {
                client.shutdown();
            }
        }
    }

    private static RedisURI uri(LogKvNode node) {
        return RedisURI.builder().withHost("localhost").withPort(node.bean(RespServer.class).port())
                .withTimeout(Duration.ofSeconds(20)).build();
    }

    private static String call(RedisCommands<String, String> redis, String command, String... args) {
        return redis.dispatch(keyword(command), new StatusOutput<>(StringCodec.UTF8), new CommandArgs<>(StringCodec.UTF8).addValues(args));
    }

    private static String value(RedisCommands<String, String> redis, String command) {
        return redis.dispatch(keyword(command), new ValueOutput<>(StringCodec.UTF8));
    }

    private static ProtocolKeyword keyword(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        return new ProtocolKeyword() {
            @Override
            public byte[] getBytes() {
                return bytes;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    /** {@link #sendRaw} of ASCII text that must be answered, its answer as text (waited for as a slow machine needs). */
    private static String rawText(LogKvNode node, String text) throws IOException {
        return new String(sendRaw(node, text.getBytes(StandardCharsets.US_ASCII), 10_000), StandardCharsets.US_ASCII);
    }

    /** Sends bytes on a fresh connection and returns what came back within a moment (the node may close it). */
    private static byte[] sendRaw(LogKvNode node, byte[] bytes) throws IOException {
        return sendRaw(node, bytes, 100);
    }

    /**
     * Sends bytes on a fresh connection and returns what came back: the first reply waited for up to
     * {@code firstReplyMs}, the rest until the connection closes or is quiet for a moment.
     */
    private static byte[] sendRaw(LogKvNode node, byte[] bytes, int firstReplyMs) throws IOException {
        try (Socket socket = new Socket("localhost", node.bean(RespServer.class).port())) {
            socket.setSoTimeout(firstReplyMs);
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    socket.setSoTimeout(Math.min(firstReplyMs, 500));
                    answer.write(buffer, 0, n);
                    if (answer.size() > 0 && bytes.length < 10) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | java.net.SocketException quiet) {
                // nothing more to read: the node waits for the rest of a command, or closed the connection
            }
            return answer.toByteArray();
        }
    }
}
