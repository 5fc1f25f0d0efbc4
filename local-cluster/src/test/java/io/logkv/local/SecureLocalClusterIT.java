package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/logkv local --secure}, through the code the command runs: three broker processes that take clients
 * only over SASL_SSL with SCRAM-SHA-512, and a LogKV node process started by {@link LocalNodes} with the settings
 * of {@link LocalKafkaCluster#nodeAccess()}, which writes and reads strongly through them. A client without TLS
 * and SASL, one with a wrong password, and one that does not trust the certificate get nothing; the node's command
 * line, which {@code ps} shows every user, holds no secret. One cluster and one node for all checks: starting
 * them costs most of the test's time.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureLocalClusterIT {

    private static final Duration KAFKA_START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REFUSAL_TIMEOUT = Duration.ofSeconds(6);
    private static final String NAMESPACE = "secured";

    @TempDir
    static Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private LocalRun run;
    private LocalKafkaCluster cluster;
    private LogKvNodeProcess node;

    @BeforeAll
    void startAsBinLogkvLocalSecureDoes() throws Exception {
        Path data = LocalCommand.runDirectory(dir, true);
        run = new LocalRun(System.out, System.err);
        cluster = LocalCommand.newCluster(data.resolve("kafka"), KafkaPorts.ephemeral(LocalKafkaCluster.NODES), true,
                SecureLocalClusterIT::log);
        run.setCluster(cluster);
        cluster.start(KAFKA_START_TIMEOUT);
        LocalNodes nodes = new LocalNodes(run, System.out, System.err, List.of(),
                LogKvNodeProcess.Console.warningsTo(data.resolve("node-console.log")), 1);
        boolean started = nodes.start(data, "node-1", ProcessCluster.freePorts(1).get(0), cluster.nodeAccess(), List.of());
        node = run.nodes().isEmpty() ? null : run.nodes().get(0);
        assertThat(started).as("the node started against the secure brokers; its log:\n%s", node == null ? "" : node.logTail(40)).isTrue();
        log(node + " ready");
    }

    @AfterAll
    void stopAsCtrlCDoes() {
        if (run != null) {
            run.stop();
        }
        log("stopped");
    }

    @Test
    void aNodeGivenTheClusterSettingsCreatesANamespaceWritesAndReadsStrongly() throws Exception {
        HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/namespaces/" + NAMESPACE))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"partitions\":2}")));
        assertThat(created.statusCode()).as(created.body()).isIn(200, 201);

        HttpResponse<String> put = send(HttpRequest.newBuilder(keyUri(""))
                .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("over SASL_SSL")));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

        HttpResponse<String> strong = send(HttpRequest.newBuilder(keyUri("?consistency=strong&wait_ms=10000")).GET());
        assertThat(strong.statusCode()).as(strong.body()).isEqualTo(200);
        assertThat(strong.body()).isEqualTo("over SASL_SSL");

        try (Admin admin = admin(cluster.clientSettings())) {
            assertThat(admin.listTopics().names().get(REFUSAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .as("the launcher's own client settings reach the listener").contains("logkv.truth." + NAMESPACE);
        }
    }

    @Test
    void theNodesCommandLineHoldsNoSecret() {
        String commandLine = node.processHandle().orElseThrow().info().commandLine().orElseThrow();
        LocalKafkaCredentials credentials = cluster.secureListener().orElseThrow().credentials();
        assertThat(commandLine).contains("--logkv.kafka.client[security.protocol]=SASL_SSL")
                .doesNotContain(credentials.nodePassword(), credentials.truststorePassword(), "sasl.jaas.config");
        for (KafkaBrokerProcess broker : cluster.brokers()) {
            assertThat(broker.processHandle().orElseThrow().info().commandLine().orElseThrow())
                    .doesNotContain(credentials.brokerPassword(), credentials.keystorePassword());
        }
    }

    @Test
    void aClientWithoutTlsAndSaslGetsNothingFromTheListener() {
        try (Admin admin = admin(Map.of())) {
            assertThatThrownBy(() -> admin.listTopics().names().get(REFUSAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOfAny(ExecutionException.class, TimeoutException.class);
        }
    }

    @Test
    void aWrongScramPasswordIsRefused() {
        SecureListener listener = cluster.secureListener().orElseThrow();
        try (Admin admin = admin(listener.clientSettings(LocalKafkaCredentials.NODE_USER, "not-the-password"))) {
            assertThatThrownBy(() -> admin.listTopics().names().get(REFUSAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefused() {
        Map<String, String> untrusting = new HashMap<>(cluster.clientSettings());
        untrusting.keySet().removeIf(name -> name.startsWith("ssl.truststore."));
        try (Admin admin = admin(untrusting)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(REFUSAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SslAuthenticationException.class);
        }
    }

    private Admin admin(Map<String, String> clientSettings) {
        Map<String, Object> config = new HashMap<>(clientSettings);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) REFUSAL_TIMEOUT.toMillis() - 2_000);
        return Admin.create(config);
    }

    private URI keyUri(String query) {
        return URI.create(node.url() + "/v1/namespaces/" + NAMESPACE + "/keys/greeting" + query);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (!Set.of(200, 201).contains(response.statusCode())) {
            log(node + "'s log, last lines:\n" + node.logTail(40));
        }
        return response;
    }

    private static void log(String line) {
        System.out.println(Instant.now() + " " + line);
    }
}
