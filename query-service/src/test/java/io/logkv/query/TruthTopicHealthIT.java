package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** A node reports each truth topic's bytes, records and tombstone retention as Kafka has them. */
@Tag("integration")
class TruthTopicHealthIT {

    @TempDir
    Path dataDir;

    @Test
    void aTruthTopicsBytesRecordsAndTombstoneRetentionAreGauges() {
        String ns = "health-" + Long.toString(System.nanoTime(), 36);
        try (LogKvNode node = LogKvNode.start("health-a", KafkaTestCluster.shared().bootstrapServers(), dataDir,
                "--logkv.truth.health-interval=500ms")) {
            assertThat(node.putNamespace(ns, "{\"partitions\":2}").statusCode()).isIn(200, 201);
            for (int i = 0; i < 20; i++) {
                assertThat(node.put(ns, "k-" + i, "value " + i).statusCode()).isEqualTo(200);
            }
            MeterRegistry meters = node.bean(MeterRegistry.class);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> gauge(meters, "logkv.truth.records", ns) >= 20);
            assertThat(gauge(meters, "logkv.truth.bytes", ns)).as("bytes on the brokers").isGreaterThan(20 * 10);
            assertThat(gauge(meters, "logkv.truth.tombstone.retention", ns)).isEqualTo(Duration.ofHours(24).toSeconds());
            assertThat(meters.get("logkv.replicas.max.resume.age").gauge().value()).isEqualTo(Duration.ofHours(20).toSeconds());
        }
    }

    private static double gauge(MeterRegistry meters, String name, String namespace) {
        Gauge gauge = meters.find(name).tag("namespace", namespace).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }
}
