package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Read-your-writes: a read that carries the token of a write never returns anything older. */
@Tag("integration")
class SessionReadIT {

    @TempDir
    static Path dataDir;
    static LogKvNode node;

    @BeforeAll
    static void startNode() {
        node = LogKvNode.start("session", KafkaTestCluster.shared().bootstrapServers(), dataDir);
        assertThat(node.putNamespace("session", "{\"partitions\":4}").statusCode()).isIn(200, 201);
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @Test
    void everyWriteIsVisibleToASessionReadMadeRightAfterIt() {
        int stale = 0;
        for (int i = 0; i < 1_000; i++) {
            String key = "counter-" + (i % 37); // keys are overwritten, so an old value is detectable
            String value = "value-" + i;
            HttpResponse<String> put = node.put("session", key, value);
            assertThat(put.statusCode()).isEqualTo(200);
            HttpResponse<String> get = node.get("session", key, "KV-Token", put.headers().firstValue("KV-Token").orElseThrow());
            if (get.statusCode() != 200 || !get.body().equals(value)) {
                stale++;
            }
        }
        assertThat(stale).isZero();
    }

    @Test
    void aStrongReadSeesTheLatestAcknowledgedWriteWithoutAToken() {
        for (int i = 0; i < 50; i++) {
            String value = "strong-" + i;
            assertThat(node.put("session", "strong-key", value).statusCode()).isEqualTo(200);
            HttpResponse<String> get = node.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(node.keyUrl("session", "strong-key") + "?consistency=strong&wait_ms=10000")).GET());
            assertThat(get.body()).isEqualTo(value);
        }
    }

    @Test
    void responseTokensAreMergedSoEchoingClientsReadMonotonically() {
        HttpResponse<String> a = node.put("session", "merge-a", "1");
        HttpResponse<String> b = node.put("session", "merge-b", "2");
        String tokens = a.headers().firstValue("KV-Token").orElseThrow() + "," + b.headers().firstValue("KV-Token").orElseThrow();
        HttpResponse<String> read = node.get("session", "merge-a", "KV-Token", tokens);
        assertThat(read.statusCode()).isEqualTo(200);
        io.logkv.core.ConsistencyToken served = io.logkv.core.ConsistencyToken.decode(read.headers().firstValue("KV-Token").orElseThrow());
        io.logkv.core.ConsistencyToken sent = io.logkv.core.ConsistencyToken.decodeAll(java.util.List.of(tokens));
        assertThat(served.merge(sent)).isEqualTo(served);
    }
}
