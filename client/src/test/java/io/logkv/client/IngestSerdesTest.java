package io.logkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logkv.core.IngestHeaders;
import io.logkv.core.Version;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The Serdes a Kafka Streams topology writes to LogKV with: every kind of write survives the trip. */
class IngestSerdesTest {

    private static final String TOPIC = LogKvTopics.ingest("views");
    private static final String VERSION = new Version(1_700_000_000_000L, 7).text();

    static Stream<IngestWrite> everyKindOfWrite() {
        byte[] value = "{\"views\":3}".getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                IngestWrite.put(value),
                IngestWrite.put(value).contentType("application/json"),
                IngestWrite.put(value).ttl(Duration.ofMinutes(15)),
                IngestWrite.put(value).ifAbsent(),
                IngestWrite.put(value).contentType("text/plain").ttl(Duration.ofSeconds(90)).ifMatch("\"" + VERSION + "\""),
                IngestWrite.put(new byte[0]),
                IngestWrite.delete(),
                IngestWrite.delete().ifMatch(VERSION),
                IngestWrite.delete().ifAbsent());
    }

    @ParameterizedTest
    @MethodSource("everyKindOfWrite")
    void everyWriteReadsBackAsItWasWritten(IngestWrite write) {
        Serde<IngestWrite> serde = IngestSerdes.write();
        RecordHeaders headers = new RecordHeaders();
        byte[] bytes = serde.serializer().serialize(TOPIC, headers, write);
        IngestWrite back = serde.deserializer().deserialize(TOPIC, headers, bytes);
        assertSame(back, write);
    }

    @Test
    void aWriteKeepsOnlyItsOwnTimeToLiveAndConditionNotThoseOfTheRecordItCameFrom() {
        // Kafka Streams passes the input record's headers to the sink's serializer.
        RecordHeaders inherited = new RecordHeaders();
        inherited.add(IngestHeaders.TTL_MS, "1000".getBytes(StandardCharsets.UTF_8));
        inherited.add(IngestHeaders.IF_NONE_MATCH, "*".getBytes(StandardCharsets.UTF_8));
        inherited.add("trace-id", "abc".getBytes(StandardCharsets.UTF_8));
        IngestWrite write = IngestWrite.put("v".getBytes(StandardCharsets.UTF_8)).ttl(Duration.ofHours(1));

        byte[] bytes = IngestSerdes.write().serializer().serialize(TOPIC, inherited, write);

        assertThat(inherited.headers(IngestHeaders.TTL_MS)).hasSize(1);
        assertThat(new String(inherited.lastHeader(IngestHeaders.TTL_MS).value(), StandardCharsets.UTF_8)).isEqualTo("3600000");
        assertThat(inherited.lastHeader(IngestHeaders.IF_NONE_MATCH)).isNull();
        assertThat(inherited.lastHeader("trace-id")).as("the application's own headers stay").isNotNull();
        assertSame(IngestSerdes.write().deserializer().deserialize(TOPIC, inherited, bytes), write);
    }

    @Test
    void aKeyLogKvWouldRefuseFailsInTheApplication() {
        Serde<String> key = IngestSerdes.key();
        assertThat(key.deserializer().deserialize(TOPIC, key.serializer().serialize(TOPIC, "user/ü 1"))).isEqualTo("user/ü 1");
        assertThatThrownBy(() -> key.serializer().serialize(TOPIC, "")).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> key.serializer().serialize(TOPIC, "k".repeat(1025))).isInstanceOf(RuntimeException.class);
    }

    private static void assertSame(IngestWrite actual, IngestWrite expected) {
        assertThat(actual.isDelete()).isEqualTo(expected.isDelete());
        assertThat(actual.value()).isEqualTo(expected.value());
        assertThat(actual.contentType()).isEqualTo(expected.contentType());
        assertThat(actual.ttl()).isEqualTo(expected.ttl());
        assertThat(actual.ifMatchVersion()).isEqualTo(expected.ifMatchVersion());
        assertThat(actual.ifAbsentOnly()).isEqualTo(expected.ifAbsentOnly());
    }
}
