package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** deploy/prometheus/alerts.yml: rules Prometheus accepts, on metrics the node exports, each with its runbook. */
class AlertRulesTest {

    static final String RULES = "deploy/prometheus/alerts.yml";

    /** Every rule of the file: alerts and recording rules. */
    static List<Map<String, Object>> rules() {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Object group : Yamls.listAt(RepositoryFiles.yaml(RULES), "groups")) {
            Yamls.listAt(Yamls.map(group), "rules").forEach(rule -> rules.add(Yamls.map(rule)));
        }
        return rules;
    }

    static List<Map<String, Object>> alerts() {
        return rules().stream().filter(rule -> rule.containsKey("alert")).toList();
    }

    /** The series the file's recording rules make, which its alerts may read. */
    static Set<String> recorded() {
        Set<String> recorded = new TreeSet<>();
        rules().stream().filter(rule -> rule.containsKey("record")).forEach(rule -> recorded.add(String.valueOf(rule.get("record"))));
        return recorded;
    }

    @Test
    void everyAlertHasASeverityASummaryAndARunbookSectionThatExists() {
        Set<String> anchors = Markdown.anchors(RepositoryFiles.read("docs/operations.md"));
        Set<String> names = new HashSet<>();
        assertThat(alerts()).isNotEmpty().allSatisfy(rule -> {
            String alert = String.valueOf(rule.get("alert"));
            assertThat(names.add(alert)).as("alert names are unique: " + alert).isTrue();
            assertThat(Yamls.stringAt(rule, "labels.severity")).as(alert).isIn("critical", "warning", "info");
            assertThat(Yamls.stringAt(rule, "annotations.summary")).as(alert).isNotBlank();
            String runbook = Yamls.stringAt(rule, "annotations.runbook_url");
            assertThat(runbook).as(alert).startsWith("docs/operations.md#");
            assertThat(anchors).as(alert + ": " + runbook + " is a section of docs/operations.md")
                    .contains(runbook.substring(runbook.indexOf('#') + 1));
        });
    }

    @Test
    @Tag("integration")
    @ExtendWith(NodeMetricsExtension.class)
    void alertsReadOnlyMetricsTheNodeExports(ExportedMetrics exported) {
        Map<String, Set<String>> unknownByAlert = new java.util.TreeMap<>();
        Set<String> recorded = recorded();
        for (Map<String, Object> rule : rules()) {
            Set<String> unknown = exported.unknown(PromQl.metricNames(String.valueOf(rule.get("expr"))));
            unknown.removeAll(recorded);
            if (!unknown.isEmpty()) {
                unknownByAlert.put(String.valueOf(rule.containsKey("alert") ? rule.get("alert") : rule.get("record")), unknown);
            }
        }
        assertThat(unknownByAlert).as("metrics no node exports (a live node's /actuator/prometheus had: "
                + new TreeSet<>(exported.scraped()) + ")").isEmpty();
    }

    @Test
    void promtoolAcceptsTheRulesAndTheirUnitTestsPass() throws Exception {
        Assumptions.assumeTrue(ExternalTools.onPath("promtool"), "skipped: promtool is not installed "
                + "(apt-get install prometheus); the rules were only parsed and checked against the node's metrics");
        for (List<String> command : List.of(
                List.of("promtool", "check", "rules", RULES),
                List.of("promtool", "check", "config", "deploy/prometheus/prometheus.yml"),
                List.of("promtool", "test", "rules", "deploy/prometheus/alerts-test.yml"))) {
            ExternalTools.Result result = ExternalTools.run(command);
            assertThat(result.exitCode()).as(String.join(" ", command) + "\n" + result.output()).isZero();
        }
    }

    @Test
    void everyAlertIsNamedInTheOperationsGuide() {
        // The SLO table of docs/operations.md names every alert, so that none guards nothing anyone knows of.
        String operations = RepositoryFiles.read("docs/operations.md");
        Matcher alertName = Pattern.compile("alert: (\\w+)").matcher(RepositoryFiles.read(RULES));
        while (alertName.find()) {
            assertThat(operations).as("docs/operations.md mentions " + alertName.group(1)).contains(alertName.group(1));
        }
    }
}
