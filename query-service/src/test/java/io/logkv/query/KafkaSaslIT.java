package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A node against a Kafka cluster that takes clients only over SASL: the settings of
 * {@code logkv.kafka.client.*} reach every Kafka client of the node (the writers' producers and group
 * consumer, the replicas' applier, the registry, admin calls, strong reads' offset lookups, change streams),
 * or some path of the node would fail here. Wrong credentials stop the node at start; a setting that would
 * change LogKV's guarantees is refused.
 */
class KafkaSaslIT {

    @TempDir
    static Path dataDir;
    static KafkaTestCluster kafka;

    @BeforeAll
    static void startCluster() {
        kafka = KafkaTestCluster.startSasl(3);
    }

    @AfterAll
    static void stopCluster() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static String[] clientArgs(Map<String, String> settings, String... more) {
        List<String> args = new ArrayList<>();
        settings.forEach((name, value) -> args.add("--logkv.kafka.client[" + name + "]=" + value));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void aNodeWithTheClusterSettingsWritesReadsAndWatches() {
        try (LogKvNode node = LogKvNode.start("sasl-1", kafka.bootstrapServers(), dataDir.resolve("ok"),
                clientArgs(kafka.clientSettings(), "--logkv.namespaces.bootstrap=sasl"))) {
            HttpResponse<String> created = node.putNamespace("sasl-ns", "{\"partitions\":2}");
            assertThat(created.statusCode()).as(created.body()).isIn(200, 201);

            HttpResponse<String> put = node.put("sasl-ns", "k", "over SASL");
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            String token = put.headers().firstValue("KV-Token").orElseThrow();

            HttpResponse<String> session = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl("sasl-ns", "k") + "?wait_ms=10000"))
                    .header("KV-Token", token).GET());
            assertThat(session.statusCode()).as(session.body()).isEqualTo(200);
            assertThat(session.body()).isEqualTo("over SASL");

            HttpResponse<String> strong = node.send(HttpRequest.newBuilder(
                    URI.create(node.keyUrl("sasl-ns", "k") + "?consistency=strong&wait_ms=10000")).GET());
            assertThat(strong.statusCode()).as(strong.body()).isEqualTo(200);
            assertThat(strong.body()).isEqualTo("over SASL");

            HttpResponse<String> conditional = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl("sasl-ns", "k")))
                    .header("If-Match", "\"" + put.headers().firstValue("ETag").orElseThrow().replace("\"", "") + "\"")
                    .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("again")));
            assertThat(conditional.statusCode()).as(conditional.body()).isEqualTo(200);

            HttpResponse<String> watch = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/sasl-ns/watch")))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)));
            assertThat(watch.statusCode()).isEqualTo(200);

            // Readiness needs every replica caught up, which reads the log over SASL too; the new namespace's
            // replicas may still be opening right after the first write.
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> ready = node.send(HttpRequest.newBuilder(URI.create(node.url("/actuator/health/readiness"))).GET());
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            });
        }
    }

    /**
     * The rights docs/operations.md lists for LogKV's Kafka user, and no more: a user that is not a super user
     * of the brokers' authorizer, holding exactly these ACLs, runs a node.
     */
    @Test
    void aUserWithTheDocumentedAclsRunsANode() throws Exception {
        String user = "User:" + JaasUser.NAME;
        List<AclBinding> acls = new ArrayList<>();
        for (AclOperation operation : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
                AclOperation.DESCRIBE_CONFIGS, AclOperation.DELETE)) {
            acls.add(allow(ResourceType.TOPIC, "logkv.", user, operation));
        }
        acls.add(allow(ResourceType.GROUP, "logkv-", user, AclOperation.READ));
        acls.add(allow(ResourceType.GROUP, "logkv-", user, AclOperation.DESCRIBE));
        acls.add(allow(ResourceType.TRANSACTIONAL_ID, "logkv-writers", user, AclOperation.WRITE));
        acls.add(allow(ResourceType.TRANSACTIONAL_ID, "logkv-writers", user, AclOperation.DESCRIBE));
        kafka.admin().createAcls(acls).all().get();

        Map<String, String> settings = KafkaTestCluster.saslPlainSettings(JaasUser.NAME, JaasUser.PASSWORD);
        try (LogKvNode node = LogKvNode.start("sasl-acl", kafka.bootstrapServers(), dataDir.resolve("acl"),
                clientArgs(settings, "--logkv.namespaces.bootstrap=acl-default", "--logkv.writer.group-id=logkv-writers-acl"))) {
            HttpResponse<String> created = node.putNamespace("acl-ns", "{\"partitions\":1}");
            assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
            HttpResponse<String> put = node.put("acl-ns", "k", "with ACLs");
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            HttpResponse<String> strong = node.send(HttpRequest.newBuilder(
                    URI.create(node.keyUrl("acl-ns", "k") + "?consistency=strong&wait_ms=10000")).GET());
            assertThat(strong.statusCode()).as(strong.body()).isEqualTo(200);
            assertThat(strong.body()).isEqualTo("with ACLs");
            HttpResponse<String> deleted = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/acl-ns"))).DELETE());
            assertThat(deleted.statusCode()).as(deleted.body()).isIn(200, 202, 204);
        }
    }

    private static AclBinding allow(ResourceType type, String prefix, String principal, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, prefix, PatternType.PREFIXED),
                new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
    }

    /** A user of the test cluster that is not a super user. */
    private static final class JaasUser {
        static final String NAME = "plain-user1";
        static final String PASSWORD = "plain-user1-secret";
    }

    @Test
    void wrongCredentialsStopTheNodeAtStart() {
        Map<String, String> wrong = KafkaTestCluster.saslPlainSettings(KafkaTestCluster.SASL_USER, "not the password");
        assertThatThrownBy(() -> LogKvNode.start("sasl-wrong", kafka.bootstrapServers(), dataDir.resolve("wrong"),
                clientArgs(wrong, "--logkv.kafka.admin-timeout=5s")).close())
                .hasStackTraceContaining("Authentication failed");
    }

    @Test
    void aSettingThatWouldChangeTheGuaranteesIsRefusedAtStart() {
        assertThatThrownBy(() -> LogKvNode.start("sasl-unsafe", kafka.bootstrapServers(), dataDir.resolve("unsafe"),
                clientArgs(kafka.clientSettings(), "--logkv.kafka.client[isolation.level]=read_uncommitted")).close())
                .hasStackTraceContaining("'isolation.level' cannot be passed through");
    }
}
