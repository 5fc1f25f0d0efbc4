package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** helm/logkv lints, and renders the objects a LogKV cluster on Kubernetes needs. */
class HelmChartTest {

    private static final Path CHART = RepositoryFiles.path("helm/logkv");

    /** Renders the chart as release "logkv" in namespace "store" and parses every object. */
    private static Rendered render(UnaryOperator<TemplateCommand> options) {
        TemplateCommand command = new Helm(CHART).template().withName("logkv").withNamespace("store");
        return new Rendered(RepositoryFiles.yamlDocuments(options.apply(command).call()));
    }

    private record Rendered(List<Map<String, Object>> objects) {

        Optional<Map<String, Object>> find(String kind, String name) {
            return objects.stream().filter(o -> kind.equals(o.get("kind")))
                    .filter(o -> name.equals(Yamls.stringAt(o, "metadata.name"))).findFirst();
        }

        Map<String, Object> get(String kind, String name) {
            return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in "
                    + objects.stream().map(o -> o.get("kind") + "/" + Yamls.stringAt(o, "metadata.name")).toList()));
        }

        Map<String, Object> container() {
            return Yamls.map(Yamls.listAt(get("StatefulSet", "logkv"), "spec.template.spec.containers").get(0));
        }

        /** The nodes' application.yml, from the ConfigMap, as properties. */
        Map<String, Object> configuration() {
            Object text = Yamls.mapAt(get("ConfigMap", "logkv"), "data").get("application.yml");
            return Yamls.flatten(RepositoryFiles.yamlDocuments(String.valueOf(text)).get(0));
        }

        List<String> args() {
            return Yamls.list(container().get("args")).stream().map(String::valueOf).toList();
        }
    }

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void runsTheNodesAsAStatefulSetWithAVolumeEach() {
        Rendered rendered = render(c -> c);
        Map<String, Object> set = rendered.get("StatefulSet", "logkv");
        assertThat(Yamls.at(set, "spec.replicas")).isEqualTo(3);
        assertThat(Yamls.stringAt(set, "spec.serviceName")).isEqualTo("logkv-nodes");
        Map<String, Object> claim = Yamls.map(Yamls.listAt(set, "spec.volumeClaimTemplates").get(0));
        assertThat(Yamls.stringAt(claim, "metadata.name")).isEqualTo("data");
        assertThat(Yamls.stringAt(claim, "spec.resources.requests.storage")).isEqualTo("20Gi");
        assertThat(Yamls.listAt(claim, "spec.accessModes")).containsExactly("ReadWriteOnce");
        List<Object> mounts = Yamls.list(rendered.container().get("volumeMounts"));
        assertThat(mounts).anySatisfy(m -> assertThat(Yamls.map(m)).containsEntry("name", "data").containsEntry("mountPath", "/var/lib/logkv"));
        assertThat(rendered.args()).contains("--data-dir=/var/lib/logkv/data");
    }

    @Test
    void eachNodeIsNamedAfterItsPodAndAdvertisesItsStableDnsName() {
        Rendered rendered = render(c -> c);
        assertThat(rendered.args()).contains("--bootstrap-servers=kafka:9092", "--node-id=$(POD_NAME)",
                "--advertised-url=http://$(POD_NAME).logkv-nodes.$(POD_NAMESPACE).svc:8080", "--");
        List<Object> env = Yamls.list(rendered.container().get("env"));
        assertThat(env).anySatisfy(e -> assertThat(Yamls.stringAt(Yamls.map(e), "valueFrom.fieldRef.fieldPath")).isEqualTo("metadata.name"));
        Map<String, Object> headless = rendered.get("Service", "logkv-nodes");
        assertThat(Yamls.at(headless, "spec.clusterIP")).isEqualTo("None");
        assertThat(Yamls.at(headless, "spec.publishNotReadyAddresses")).isEqualTo(true);
        assertThat(Yamls.mapAt(headless, "spec.selector")).isEqualTo(Yamls.mapAt(rendered.get("StatefulSet", "logkv"), "spec.selector.matchLabels"));
        assertThat(Yamls.stringAt(rendered.get("Service", "logkv"), "spec.type")).isEqualTo("ClusterIP");
    }

    @Test
    void probesUseTheActuatorsLivenessAndReadinessGroups() {
        Map<String, Object> container = render(c -> c).container();
        assertThat(Yamls.stringAt(container, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat(Yamls.stringAt(container, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
        assertThat(Yamls.stringAt(container, "startupProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat(Yamls.stringAt(container, "readinessProbe.httpGet.port")).isEqualTo("http");
        assertThat(Yamls.listAt(container, "ports")).anySatisfy(p -> assertThat(Yamls.map(p))
                .containsEntry("name", "http").containsEntry("containerPort", 8080));
    }

    @Test
    void atMostOneNodeIsDisruptedAtATime() {
        Rendered rendered = render(c -> c);
        Map<String, Object> pdb = rendered.get("PodDisruptionBudget", "logkv");
        assertThat(Yamls.at(pdb, "spec.maxUnavailable")).isEqualTo(1);
        assertThat(Yamls.mapAt(pdb, "spec.selector.matchLabels"))
                .isEqualTo(Yamls.mapAt(rendered.get("StatefulSet", "logkv"), "spec.selector.matchLabels"));
    }

    @Test
    void noTwoNodesShareAHostByDefault() {
        Rendered rendered = render(c -> c);
        Map<String, Object> set = rendered.get("StatefulSet", "logkv");
        Map<String, Object> term = Yamls.map(Yamls.listAt(set,
                "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution").get(0));
        assertThat(term.get("topologyKey")).isEqualTo("kubernetes.io/hostname");
        assertThat(Yamls.mapAt(term, "labelSelector.matchLabels")).isEqualTo(Yamls.mapAt(set, "spec.template.metadata.labels"));

        Map<String, Object> soft = render(c -> c.set("antiAffinity", "soft")).get("StatefulSet", "logkv");
        assertThat(Yamls.mapAt(soft, "spec.template.spec.affinity.podAntiAffinity"))
                .containsOnlyKeys("preferredDuringSchedulingIgnoredDuringExecution");
        assertThatThrownBy(() -> render(c -> c.set("antiAffinity", "sometimes"))).hasMessageContaining("antiAffinity");
    }

    @Test
    void runsUnprivilegedWithAReadOnlyRootAndGracefulHandover() {
        Map<String, Object> set = render(c -> c).get("StatefulSet", "logkv");
        assertThat(Yamls.at(set, "spec.template.spec.securityContext.runAsNonRoot")).isEqualTo(true);
        assertThat(Yamls.at(set, "spec.template.spec.securityContext.fsGroup")).isEqualTo(10001);
        Map<String, Object> container = Yamls.map(Yamls.listAt(set, "spec.template.spec.containers").get(0));
        assertThat(Yamls.at(container, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat((Integer) Yamls.at(set, "spec.template.spec.terminationGracePeriodSeconds"))
                .as("longer than a write's delivery timeout (20 s)").isGreaterThan(20);
    }

    @Test
    void theNodesConfigurationNamesOnlyRealPropertiesAndKeepsTruthDurable() {
        Rendered rendered = render(c -> c);
        Map<String, Object> properties = rendered.configuration();
        assertThat(NodeProperties.problemsOfProperties(properties)).isEmpty();
        assertThat(properties).containsEntry("logkv.truth.replication-factor", 3).containsEntry("logkv.truth.min-insync-replicas", 2);
        SpringPropertyCatalog catalog = new SpringPropertyCatalog();
        assertThat(properties.keySet()).allSatisfy(name ->
                assertThat(name.startsWith("logkv.") || catalog.knows(name)).as(name + " is a Spring property").isTrue());
        assertThat(rendered.args()).contains("--spring.config.additional-location=file:/etc/logkv/");
    }

    @Test
    void aMisspeltPropertyInTheValuesFailsTheCheck() {
        Rendered rendered = render(c -> c.set("config.logkv.writer.sesion-timeout", "5s"));
        assertThat(NodeProperties.problemsOfProperties(rendered.configuration()))
                .singleElement().asString().contains("logkv.writer.sesion-timeout");
    }

    @Test
    void refusesToRenderWithoutKafka() {
        assertThatThrownBy(() -> render(c -> c.set("kafka.bootstrapServers", "")))
                .hasMessageContaining("kafka.bootstrapServers is required");
    }

    @Test
    void theServiceMonitorIsOffByDefaultAndScrapesEveryNodeAsJobLogkv() {
        assertThat(render(c -> c).find("ServiceMonitor", "logkv")).isEmpty();
        Rendered rendered = render(c -> c.set("metrics.serviceMonitor.enabled", true));
        Map<String, Object> monitor = rendered.get("ServiceMonitor", "logkv");
        Map<String, Object> endpoint = Yamls.map(Yamls.listAt(monitor, "spec.endpoints").get(0));
        assertThat(endpoint).containsEntry("port", "http").containsEntry("path", "/actuator/prometheus");
        assertThat(Yamls.list(endpoint.get("relabelings"))).anySatisfy(r -> assertThat(Yamls.map(r))
                .containsEntry("targetLabel", "job").containsEntry("replacement", "logkv"));
        Map<String, Object> headlessLabels = Yamls.mapAt(rendered.get("Service", "logkv-nodes"), "metadata.labels");
        assertThat(headlessLabels).containsAllEntriesOf(Yamls.mapAt(monitor, "spec.selector.matchLabels"));
    }

    @Test
    void theStrimziExampleRendersAgainstTheClustersBootstrapService() {
        Rendered rendered = render(c -> c.withValuesFile(CHART.resolve("examples/strimzi-values.yaml")));
        assertThat(rendered.args()).contains("--bootstrap-servers=my-cluster-kafka-bootstrap.kafka.svc:9092");
        assertThat(rendered.find("ServiceMonitor", "logkv")).isPresent();
        assertThat(NodeProperties.problemsOfProperties(rendered.configuration())).isEmpty();
    }
}
