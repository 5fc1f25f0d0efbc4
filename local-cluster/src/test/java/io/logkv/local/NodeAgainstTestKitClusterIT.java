package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.KafkaTestCluster;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started the way {@code bin/logkv node} starts one (its own JVM, {@code LogKvCommand node}) joins a
 * Kafka cluster it did not start (the test kit's) and serves writes and reads: the path an operator takes
 * with the Kafka they already run.
 */
@Tag("integration")
class NodeAgainstTestKitClusterIT {

    /** What a command printed and its exit code. */
    record Cli(int exitCode, String out) {
    }

    /** Runs {@code bin/logkv COMMAND TARGET... ARGS...} in this JVM, capturing its standard output. */
    private static synchronized Cli cli(String[] target, String command, String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(List.of(command));
        all.addAll(List.of(target));
        all.addAll(List.of(args));
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            int code = new picocli.CommandLine(new LogKvCommand()).execute(all.toArray(String[]::new));
            return new Cli(code, captured.toString(java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            System.setOut(original);
        }
    }

    @TempDir
    Path dir;

    @Test
    void aNodeProcessServesAgainstAnExistingKafkaCluster() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        LogKvNodeProcess node = new LogKvNodeProcess("joined-1", port, KafkaTestCluster.shared().bootstrapServers(),
                dir.resolve("data"), dir.resolve("node.log"), LogKvNodeProcess.Console.warningsTo(dir.resolve("console.log")), List.of(LocalCommand.OPEN));
        node.start();
        try {
            assertThat(node.awaitReady(Duration.ofSeconds(120))).as("%s ready; log: %s", node, node.logTail(30)).isEmpty();
            HttpClient http = HttpClient.newHttpClient();
            String namespace = "joined-" + Long.toString(System.nanoTime(), 36);
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/namespaces/" + namespace))
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"partitions\":2}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
            String key = node.url() + "/v1/namespaces/" + namespace + "/keys/greeting";
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(key)).timeout(Duration.ofSeconds(60))
                    .PUT(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(key))
                    .header("KV-Token", put.headers().firstValue("KV-Token").orElseThrow()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("hello");

            // The key commands of bin/logkv, against the same node.
            String[] target = {"--url", node.url(), "-n", namespace};
            assertThat(cli(target, "put", "cli/a", "one").exitCode()).isZero();
            Cli read = cli(target, "get", "cli/a", "--consistency", "strong");
            assertThat(read.exitCode()).isZero();
            assertThat(read.out()).isEqualTo("one\n");
            assertThat(cli(target, "get", "cli/missing").exitCode()).as("no such key").isEqualTo(KeyCommands.NOT_FOUND);
            assertThat(cli(target, "put", "cli/a", "two", "--if-version", "0000000000000000deadbeef").exitCode())
                    .as("a condition that does not hold").isEqualTo(KeyCommands.NOT_FOUND);
            Cli json = cli(target, "get", "cli/a", "--json", "--consistency", "strong");
            assertThat(json.out()).contains("\"key\":\"cli/a\"", "\"value\":\"one\"");
            assertThat(cli(target, "put", "cli/b", "three").exitCode()).isZero();
            Cli scan = cli(target, "scan", "cli/", "--consistency", "strong");
            assertThat(scan.exitCode()).isZero();
            assertThat(scan.out()).isEqualTo("cli/a\tone\ncli/b\tthree\n");
            assertThat(cli(target, "del", "cli/a").exitCode()).isZero();
            assertThat(cli(target, "get", "cli/a", "--consistency", "strong").exitCode()).isEqualTo(KeyCommands.NOT_FOUND);
            Cli nsCreated = cli(new String[] {"--url", node.url()}, "ns", "create", namespace + "-cli", "--partitions", "3", "--default-ttl", "2h");
            assertThat(nsCreated.exitCode()).isZero();
            Cli listed = cli(new String[] {"--url", node.url()}, "ns", "list");
            assertThat(listed.out()).contains(namespace + "-cli\t3 partitions\tttl 7200s", namespace + "\t2 partitions");
            assertThat(cli(new String[] {"--url", node.url()}, "ns", "describe", namespace + "-cli").out())
                    .startsWith(namespace + "-cli\t3 partitions").contains("  partition 2\towner ");
            assertThat(cli(new String[] {"--url", node.url()}, "ns", "describe", "no-such-" + namespace).exitCode()).isEqualTo(KeyCommands.NOT_FOUND);
            assertThat(cli(new String[] {"--url", node.url()}, "ns", "create").exitCode()).isEqualTo(KeyCommands.USAGE);
            assertThat(cli(new String[] {"--url", "http://localhost:1", "--timeout", "2s"}, "get", "k").exitCode())
                    .as("no node there").isEqualTo(KeyCommands.FAILED);
        } finally {
            assertThat(node.stop(Duration.ofSeconds(30))).as("stopped in time").isTrue();
        }
    }
}
