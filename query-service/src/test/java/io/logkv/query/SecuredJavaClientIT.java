package io.logkv.query;

import io.logkv.client.http.KeyValue;
import io.logkv.client.http.LogKvClient;
import io.logkv.client.http.LogKvException;
import io.logkv.client.http.LogKvSession;
import io.logkv.client.http.Written;
import io.logkv.core.SignedTokens;
import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Java client against a secured node: it sends its credentials, and its sessions carry signed tokens as the node wrote them. */
@Tag("integration")
class SecuredJavaClientIT {

    private static final String NS = "sec-client";

    @TempDir
    Path dataDir;

    @Test
    void aClientWithCredentialsReadsItsWritesThroughSignedTokensFromManyThreads() throws Exception {
        try (LogKvNode node = LogKvNode.start("sec-client", KafkaTestCluster.shared().bootstrapServers(), dataDir,
                SecuredNodes.args("--logkv.writer.group-id=sec-client"));
             LogKvClient app = LogKvClient.builder().nodes(node.url("")).apiKey(SecuredNodes.apiKey("app")).build();
             LogKvClient reader = LogKvClient.builder().nodes(node.url("")).bearerToken(() -> SecuredNodes.jwt("reader"))
                     .requestDeadline(Duration.ofSeconds(5)).build();
             LogKvClient anonymous = LogKvClient.builder().nodes(node.url("")).requestDeadline(Duration.ofSeconds(5)).build()) {
            assertThat(node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + NS)))
                    .header("Authorization", "ApiKey " + SecuredNodes.apiKey("root")).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"partitions\":3}"))).statusCode()).isIn(200, 201);

            LogKvSession session = app.session();
            ExecutorService threads = Executors.newFixedThreadPool(4);
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                work.add(threads.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        String key = "k-" + thread + "-" + i;
                        Written written = session.put(NS, key, "v" + i);
                        Optional<KeyValue> read = session.get(NS, key);
                        assertThat(read).as(key).isPresent();
                        assertThat(read.get().version()).isEqualTo(written.version());
                    }
                    return null;
                }));
            }
            for (Future<?> done : work) {
                done.get(120, TimeUnit.SECONDS);
            }
            threads.shutdown();
            for (String token : session.currentToken().split(",")) {
                assertThat(SignedTokens.isSigned(token.strip())).as(token).isTrue();
            }
            assertThat(app.session(session.currentToken()).get(NS, "k-2-49").map(KeyValue::text)).contains("v49");

            assertThat(reader.get(NS, "k-0-0").map(KeyValue::text)).contains("v0");
            assertThatThrownBy(() -> reader.put(NS, "k", "no")).isInstanceOfSatisfying(LogKvException.class,
                    refused -> assertThat(refused.status()).isEqualTo(403));
            assertThatThrownBy(() -> anonymous.get(NS, "k-0-0")).isInstanceOfSatisfying(LogKvException.class,
                    refused -> assertThat(refused.status()).isEqualTo(401));
        }
    }
}
