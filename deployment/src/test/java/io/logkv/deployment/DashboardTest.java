package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** deploy/grafana/dashboards/logkv.json: a dashboard Grafana can provision, querying metrics the node exports. */
class DashboardTest {

    private static final String DASHBOARD = "deploy/grafana/dashboards/logkv.json";

    private final JsonNode dashboard = JsonMapper.builder().build().readTree(RepositoryFiles.read(DASHBOARD));

    private List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    @Test
    void isAProvisionableDashboardWithUniquePanelIds() {
        assertThat(dashboard.path("uid").asString()).isNotBlank();
        assertThat(dashboard.path("title").asString()).isNotBlank();
        assertThat(dashboard.path("schemaVersion").asInt()).isPositive();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels()) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel id " + panel.path("id")).isTrue();
            JsonNode grid = panel.path("gridPos");
            assertThat(grid.path("w").asInt() + grid.path("x").asInt()).as(panel.path("title").asString()).isBetween(1, 24);
        }
    }

    @Test
    void everyQueryUsesTheDashboardsDatasourceVariable() {
        Set<String> variables = new TreeSet<>();
        dashboard.path("templating").path("list").forEach(variable -> variables.add(variable.path("name").asString()));
        assertThat(variables).contains("datasource", "instance");
        for (JsonNode panel : panels()) {
            if (!"row".equals(panel.path("type").asString())) {
                assertThat(panel.path("datasource").path("uid").asString()).as(panel.path("title").asString()).isEqualTo("${datasource}");
                assertThat(panel.path("targets")).as(panel.path("title").asString()).isNotEmpty();
            }
        }
    }

    @Test
    void theProvisionedDatasourceIsTheVariablesDefault() {
        Map<String, Object> datasource = Yamls.map(Yamls.listAt(
                RepositoryFiles.yaml("deploy/grafana/provisioning/datasources/prometheus.yml"), "datasources").get(0));
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("datasource".equals(variable.path("name").asString())) {
                assertThat(variable.path("current").path("value").asString()).isEqualTo(datasource.get("uid"));
            }
        }
    }

    @Test
    @Tag("integration")
    @ExtendWith(NodeMetricsExtension.class)
    void queriesReadOnlyMetricsTheNodeExports(ExportedMetrics exported) {
        Map<String, Set<String>> unknownByPanel = new TreeMap<>();
        Set<String> used = new TreeSet<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                Set<String> names = PromQl.metricNames(target.path("expr").asString());
                used.addAll(names);
                Set<String> unknown = exported.unknown(names);
                if (!unknown.isEmpty()) {
                    unknownByPanel.put(panel.path("title").asString(), unknown);
                }
            }
        }
        assertThat(used).as("the dashboard shows the write path and the replicas")
                .contains("logkv_writer_commit_seconds_bucket", "logkv_replica_applied_total");
        assertThat(unknownByPanel).as("metrics no node exports (a live node's /actuator/prometheus had: "
                + exported.scraped() + ")").isEmpty();
    }
}
