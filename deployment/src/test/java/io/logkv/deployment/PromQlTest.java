package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Metric names are found in the expressions of alerts and dashboards, and nothing else is taken for one. */
class PromQlTest {

    @Test
    void findsTheMetricsOfAnExpressionAndNotItsFunctionsLabelsOrDurations() {
        assertThat(PromQl.metricNames("""
                histogram_quantile(0.99, sum by (le, instance) (rate(logkv_writer_commit_seconds_bucket{job="logkv", uri=~"/v1/{ns}"}[5m]))) > 0.25
                and on () sum(rate(logkv_writer_batch_records_sum[$__rate_interval] offset 1h)) > 1e3
                / max_over_time(sum(up{instance=~"$instance"})[15m:30s])"""))
                .containsExactly("logkv_writer_batch_records_sum", "logkv_writer_commit_seconds_bucket", "up");
    }

    @Test
    void aBareMetricIsItsOwnName() {
        assertThat(PromQl.metricNames("logkv_writer_pending")).containsExactly("logkv_writer_pending");
    }
}
