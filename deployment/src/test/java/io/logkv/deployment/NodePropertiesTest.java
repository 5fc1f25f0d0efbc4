package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The property check the deployment tests rely on tells real node properties from misspelt ones. */
class NodePropertiesTest {

    @Test
    void environmentVariablesOfRealPropertiesPass() {
        assertThat(NodeProperties.problemsOfEnvironment(Map.of(
                "LOGKV_WRITER_SESSIONTIMEOUT", "5s", "LOGKV_REPLICAS_BLOCKCACHE", "1GB", "PATH", "/usr/bin"))).isEmpty();
    }

    @Test
    void environmentVariablesSetTheirProperty() {
        assertThat(NodeProperties.bindEnvironment(Map.of("LOGKV_TRUTH_MININSYNCREPLICAS", "3")).truth().minInsyncReplicas())
                .isEqualTo(3);
        assertThat(NodeProperties.setByEnvironment(Map.of("LOGKV_NODEID", "n1"), java.util.Set.of("logkv.node-id", "logkv.data-dir")))
                .containsExactly("logkv.node-id");
    }

    @Test
    void kafkaClientSettingsComeFromTheEnvironmentByTheirKafkaNames() {
        Map<String, String> environment = Map.of("LOGKV_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
                "LOGKV_KAFKA_CLIENT_SASL_JAAS_CONFIG", "x required;");
        assertThat(NodeProperties.bindEnvironment(environment).kafka().client())
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.jaas.config", "x required;");
        assertThat(NodeProperties.problemsOfEnvironment(environment)).isEmpty();
        assertThat(NodeProperties.problemsOfProperties(Map.of("logkv.kafka.client[ssl.truststore.location]", "/etc/t.p12"))).isEmpty();
    }

    @Test
    void aMisspeltEnvironmentVariableFails() {
        assertThat(NodeProperties.problemsOfEnvironment(Map.of("LOGKV_WRITER_SESIONTIMEOUT", "5s")))
                .singleElement().asString().contains("logkv.writer.sesiontimeout");
    }

    @Test
    void aPropertyOfNoNodeFails() {
        assertThat(NodeProperties.problemsOfProperties(Map.of("logkv.replicas.cache-size", "1GB")))
                .singleElement().asString().contains("logkv.replicas.cache-size");
        assertThat(NodeProperties.problemsOfArguments(List.of("--logkv.kafka.bootstrap=k:9092"))).isNotEmpty();
    }

    @Test
    void aValueOfTheWrongTypeFails() {
        assertThat(NodeProperties.problemsOfProperties(Map.of("logkv.writer.session-timeout", "ten seconds"))).isNotEmpty();
    }

    @Test
    void nestedYamlAndListsBindAsInAnApplicationYml() {
        Map<String, Object> yaml = Map.of("logkv", Map.of(
                "namespaces", Map.of("bootstrap", List.of("default", "sessions")),
                "truth", Map.of("min-insync-replicas", 2)));
        assertThat(NodeProperties.problemsOfProperties(Yamls.flatten(yaml))).isEmpty();
    }

    @Test
    void theNodeOptionsAreReadFromTheConfigurationDocument() {
        assertThat(NodeProperties.setByNodeOptions()).containsExactlyInAnyOrder("logkv.kafka.bootstrap-servers",
                "logkv.node-id", "server.port", "logkv.data-dir", "logkv.advertised-url");
    }

    @Test
    void unknownSpringPropertiesAreTold() {
        SpringPropertyCatalog catalog = new SpringPropertyCatalog();
        assertThat(catalog.knows("server.port")).isTrue();
        assertThat(catalog.knows("management.metrics.distribution.percentiles-histogram.http.server.requests")).isTrue();
        assertThat(catalog.knows("management.metrics.distribution.percentile-histogram.http.server.requests")).isFalse();
    }
}
