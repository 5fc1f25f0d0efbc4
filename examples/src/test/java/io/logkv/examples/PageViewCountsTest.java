package io.logkv.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.client.LogKvTopics;
import io.logkv.core.IngestHeaders;
import io.logkv.core.RecordEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** The example topology's logic: every page view updates its user's count in the namespace, with the time to live. */
class PageViewCountsTest {

    private static final String INPUT = "page-views";
    private static final String NAMESPACE = "views";

    @Test
    void eachPageViewWritesItsUsersLatestCountAsJsonWithTheTimeToLive() {
        try (TopologyTestDriver driver = new TopologyTestDriver(
                PageViewCounts.topology(INPUT, NAMESPACE, Duration.ofHours(24)), config())) {
            TestInputTopic<String, String> views = driver.createInputTopic(INPUT, new StringSerializer(), new StringSerializer());
            TestOutputTopic<byte[], byte[]> ingest = driver.createOutputTopic(LogKvTopics.ingest(NAMESPACE),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            views.pipeInput("alice", "/");
            views.pipeInput("bob", "/docs");
            views.pipeInput("alice", "/pricing");

            List<TestRecord<byte[], byte[]>> written = ingest.readRecordsToList();
            assertThat(written).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactly("alice", "bob", "alice");
            assertThat(written).extracting(r -> new String(RecordEnvelope.decode(r.value()).value(), StandardCharsets.UTF_8))
                    .containsExactly("{\"user\":\"alice\",\"views\":1}", "{\"user\":\"bob\",\"views\":1}", "{\"user\":\"alice\",\"views\":2}");
            for (TestRecord<byte[], byte[]> record : written) {
                assertThat(RecordEnvelope.decode(record.value()).contentType()).isEqualTo("application/json");
                assertThat(record.headers().headers(IngestHeaders.TTL_MS)).hasSize(1);
                assertThat(new String(record.headers().lastHeader(IngestHeaders.TTL_MS).value(), StandardCharsets.UTF_8))
                        .isEqualTo(Long.toString(Duration.ofHours(24).toMillis()));
            }
        }
    }

    @Test
    void aUserIdIsWrittenAsTheKeyAndEscapedInTheJson() {
        try (TopologyTestDriver driver = new TopologyTestDriver(
                PageViewCounts.topology(INPUT, NAMESPACE, Duration.ofMinutes(5)), config())) {
            driver.createInputTopic(INPUT, new StringSerializer(), new StringSerializer()).pipeInput("u \"1\"/é", "/");
            TestRecord<byte[], byte[]> record = driver.createOutputTopic(LogKvTopics.ingest(NAMESPACE),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()).readRecord();
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("u \"1\"/é");
            assertThat(new String(RecordEnvelope.decode(record.value()).value(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"user\":\"u \\\"1\\\"/é\",\"views\":1}");
        }
    }

    private static Properties config() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "page-view-counts-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        return props;
    }
}
