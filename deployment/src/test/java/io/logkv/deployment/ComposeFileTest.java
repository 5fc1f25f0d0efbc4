package io.logkv.deployment;

import io.logkv.deployment.ComposeFile.LogKvNode;
import io.logkv.deployment.ComposeFile.Service;
import io.logkv.query.config.LogKvProperties;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** docker-compose.yml runs three KRaft brokers, three LogKV nodes, Prometheus and Grafana, wired correctly. */
class ComposeFileTest {

    private static final Pattern INTERNAL_LISTENER = Pattern.compile("INTERNAL://([^:,]+):(\\d+)");

    private final ComposeFile compose = ComposeFile.load();

    private List<Service> brokers() {
        return compose.servicesWithImage("apache/kafka:");
    }

    private List<LogKvNode> nodes() {
        return compose.servicesWithImage("logkv/node:").stream().map(LogKvNode::new).toList();
    }

    @Test
    void runsThreeKraftBrokersThreeNodesPrometheusAndGrafana() {
        assertThat(brokers()).extracting(Service::name).containsExactly("kafka-1", "kafka-2", "kafka-3");
        assertThat(nodes()).extracting(node -> node.service().name()).containsExactly("logkv-1", "logkv-2", "logkv-3");
        assertThat(compose.service("prometheus").image()).startsWith("prom/prometheus:");
        assertThat(compose.service("grafana").image()).startsWith("grafana/grafana:");
        assertThat(compose.services()).hasSize(8);
    }

    @Test
    void nodesRunTheImageTheImageProfileBuilds() {
        String version = System.getProperty("logkv.version", "0.1.0-SNAPSHOT");
        assertThat(nodes()).allSatisfy(node -> assertThat(node.service().image()).isEqualTo("logkv/node:" + version));
    }

    @Test
    void brokersFormOneKraftQuorum() {
        Set<String> clusterIds = new HashSet<>();
        Set<String> nodeIds = new TreeSet<>();
        Set<String> voters = new TreeSet<>();
        for (Service broker : brokers()) {
            Map<String, String> env = broker.environment();
            clusterIds.add(env.get("CLUSTER_ID"));
            nodeIds.add(env.get("KAFKA_NODE_ID"));
            assertThat(env.get("KAFKA_PROCESS_ROLES")).as(broker.name()).isEqualTo("broker,controller");
            voters.add(env.get("KAFKA_NODE_ID") + "@" + broker.hostname() + ":9093");
            assertThat(env.get("KAFKA_LISTENERS")).as(broker.name()).contains("CONTROLLER://:9093");
            assertThat(broker.healthcheck()).as(broker.name() + " healthcheck").isNotEmpty();
        }
        assertThat(clusterIds).as("one CLUSTER_ID for all brokers").hasSize(1).doesNotContainNull();
        assertThat(nodeIds).containsExactly("1", "2", "3");
        for (Service broker : brokers()) {
            assertThat(Set.of(broker.environment().get("KAFKA_CONTROLLER_QUORUM_VOTERS").split(",")))
                    .as(broker.name() + " voters").isEqualTo(voters);
        }
    }

    @Test
    void brokersReplicateEveryTopicThreeTimesAckOnTwoAndNeverElectUncleanly() {
        for (Service broker : brokers()) {
            assertThat(broker.environment()).as(broker.name())
                    .containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "2")
                    .containsEntry("KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE", "false")
                    .containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2");
            assertThat(broker.volumes()).as(broker.name() + " keeps its log on a volume")
                    .containsKey(broker.environment().get("KAFKA_LOG_DIRS"));
        }
    }

    @Test
    void nodesCreateTruthTopicsWithReplicationFactorThreeAndMinIsrTwo() {
        for (LogKvNode node : nodes()) {
            LogKvProperties properties = NodeProperties.bindEnvironment(node.service().environment());
            assertThat(properties.truth().replicationFactor()).as(node.service().name()).isEqualTo(3);
            assertThat(properties.truth().minInsyncReplicas()).as(node.service().name()).isEqualTo(2);
        }
    }

    @Test
    void nodesBootstrapFromEveryBrokersInternalListener() {
        Set<String> internal = new TreeSet<>();
        for (Service broker : brokers()) {
            Matcher listener = INTERNAL_LISTENER.matcher(broker.environment().get("KAFKA_ADVERTISED_LISTENERS"));
            assertThat(listener.find()).as(broker.name() + " advertises an INTERNAL listener").isTrue();
            assertThat(listener.group(1)).as(broker.name() + " advertises its own host name").isEqualTo(broker.hostname());
            internal.add(listener.group(1) + ":" + listener.group(2));
        }
        assertThat(nodes()).allSatisfy(node -> assertThat(node.bootstrapServers()).isEqualTo(internal));
    }

    @Test
    void nodesStartOnlyOnceEveryBrokerIsHealthy() {
        for (LogKvNode node : nodes()) {
            Map<String, String> dependsOn = node.service().dependsOn();
            for (Service broker : brokers()) {
                assertThat(dependsOn).as(node.service().name()).containsEntry(broker.name(), "service_healthy");
            }
        }
        assertThat(compose.service("prometheus").dependsOn().keySet())
                .containsExactlyInAnyOrderElementsOf(nodes().stream().map(node -> node.service().name()).toList());
        assertThat(compose.service("grafana").dependsOn()).containsKey("prometheus");
    }

    @Test
    void everyDependencyIsAServiceOfTheFile() {
        for (String name : compose.services().keySet()) {
            assertThat(compose.service(name).dependsOn().keySet()).as(name).isSubsetOf(compose.services().keySet());
        }
    }

    @Test
    void eachNodeHasItsOwnIdentityAdvertisedUrlAndVolume() {
        Set<String> ids = new HashSet<>();
        Set<String> volumes = new HashSet<>();
        Map<String, Object> declaredVolumes = Yamls.mapAt(compose.document(), "volumes");
        for (LogKvNode node : nodes()) {
            Service service = node.service();
            assertThat(ids.add(node.option("node-id"))).as("unique node id " + node.option("node-id")).isTrue();
            assertThat(node.option("advertised-url")).as(service.name())
                    .isEqualTo("http://" + service.hostname() + ":" + node.option("port"));
            String dataDir = node.option("data-dir");
            String mount = service.volumes().keySet().stream().filter(dataDir::startsWith).findFirst()
                    .orElseThrow(() -> new AssertionError(service.name() + ": data dir " + dataDir + " is on no volume"));
            String volume = service.volumes().get(mount);
            assertThat(declaredVolumes).as("top-level volumes").containsKey(volume);
            assertThat(volumes.add(volume)).as(service.name() + " shares volume " + volume).isTrue();
        }
    }

    @Test
    void nodesAreHealthyOnlyWhenReady() {
        for (LogKvNode node : nodes()) {
            assertThat(node.service().healthcheck()).as(node.service().name())
                    .contains("/actuator/health/readiness")
                    .contains("/" + node.option("port"));
        }
    }

    @Test
    void publishedPortsAreDistinctAndReachTheNodesPort() {
        List<Integer> hostPorts = new ArrayList<>();
        for (String name : compose.services().keySet()) {
            hostPorts.addAll(compose.service(name).publishedPorts().keySet());
        }
        assertThat(hostPorts).doesNotHaveDuplicates();
        for (LogKvNode node : nodes()) {
            assertThat(node.service().publishedPorts().values()).as(node.service().name())
                    .containsExactly(Integer.parseInt(node.option("port")));
        }
    }

    @Test
    void nodeEnvironmentNamesOnlyLogKvPropertiesWithValidValues() {
        for (LogKvNode node : nodes()) {
            Map<String, String> env = node.service().environment();
            assertThat(env.keySet()).as(node.service().name()).anyMatch(name -> name.startsWith("LOGKV_"));
            assertThat(NodeProperties.problemsOfEnvironment(env)).as(node.service().name()).isEmpty();
        }
    }

    @Test
    void nodeEnvironmentSetsNothingTheNodeOptionsOverride() {
        Set<String> fromOptions = NodeProperties.setByNodeOptions();
        assertThat(fromOptions).as("docs/configuration.md, bin/logkv node table")
                .contains("logkv.node-id", "logkv.kafka.bootstrap-servers", "logkv.data-dir");
        for (LogKvNode node : nodes()) {
            assertThat(NodeProperties.setByEnvironment(node.service().environment(), fromOptions))
                    .as(node.service().name() + ": set these with the node's options; its arguments override the environment")
                    .isEmpty();
        }
    }

    @Test
    void springArgumentsAreKnownProperties() {
        SpringPropertyCatalog catalog = new SpringPropertyCatalog();
        for (LogKvNode node : nodes()) {
            List<String> arguments = node.springArguments();
            assertThat(NodeProperties.problemsOfArguments(arguments)).as(node.service().name()).isEmpty();
            assertThat(SpringArguments.properties(arguments).keySet()).as(node.service().name())
                    .allSatisfy(name -> assertThat(name.startsWith("logkv.") || catalog.knows(name))
                            .as(name + " is a Spring property").isTrue());
        }
    }

    @Test
    void prometheusScrapesEveryNodeAndLoadsTheAlertRules() {
        Service prometheus = compose.service("prometheus");
        assertThat(prometheus.volumes()).containsEntry("/etc/prometheus", "./deploy/prometheus");
        assertThat(prometheus.command()).contains("--config.file=/etc/prometheus/prometheus.yml");
        Map<String, Object> config = RepositoryFiles.yaml("deploy/prometheus/prometheus.yml");
        Map<String, Object> job = Yamls.listAt(config, "scrape_configs").stream().map(Yamls::map)
                .filter(j -> "logkv".equals(j.get("job_name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no scrape job 'logkv' in prometheus.yml"));
        assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
        Set<Object> targets = new TreeSet<>();
        Yamls.list(job.get("static_configs")).forEach(c -> targets.addAll(Yamls.listAt(Yamls.map(c), "targets")));
        Set<Object> expected = new TreeSet<>();
        nodes().forEach(node -> expected.add(node.service().hostname() + ":" + node.option("port")));
        assertThat(targets).isEqualTo(expected);
        for (Object ruleFile : Yamls.listAt(config, "rule_files")) {
            assertThat(RepositoryFiles.path("deploy/prometheus/" + ruleFile)).isRegularFile();
        }
    }

    @Test
    void grafanaMountsItsProvisioningAndTheDashboards() {
        Service grafana = compose.service("grafana");
        grafana.volumes().forEach((target, source) -> {
            if (source.startsWith("./")) {
                assertThat(Files.isDirectory(RepositoryFiles.path(source.substring(2)))).as(source).isTrue();
            }
        });
        assertThat(grafana.volumes()).containsEntry("/var/lib/grafana/dashboards", "./deploy/grafana/dashboards");
        Map<String, Object> provider = Yamls.map(Yamls.listAt(
                RepositoryFiles.yaml("deploy/grafana/provisioning/dashboards/logkv.yml"), "providers").get(0));
        assertThat(Yamls.stringAt(provider, "options.path")).isEqualTo("/var/lib/grafana/dashboards");
    }
}
