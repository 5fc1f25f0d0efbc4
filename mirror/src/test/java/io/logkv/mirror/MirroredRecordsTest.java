package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.MirrorHeaders;
import io.logkv.core.RegionName;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class MirroredRecordsTest {

    private static final RegionName HOME = new RegionName("eu");

    @Test
    void mirroredRecordKeepsPartitionKeyValueTimestampAndHeadersThenNamesItsSource() {
        RecordHeaders headers = new RecordHeaders(new Header[] {new RecordHeader("logkv.version", new byte[] {1, 2})});
        ConsumerRecord<byte[], byte[]> source = new ConsumerRecord<>("logkv.truth.ns", 4, 1234L, 1_700_000_000_000L,
                TimestampType.CREATE_TIME, 1, 1, bytes("k"), bytes("v"), headers, Optional.empty());

        ProducerRecord<byte[], byte[]> mirrored = MirroredRecords.toTarget(source, HOME);

        assertThat(mirrored.topic()).isEqualTo("logkv.truth.ns");
        assertThat(mirrored.partition()).isEqualTo(4);
        assertThat(mirrored.key()).isEqualTo(bytes("k"));
        assertThat(mirrored.value()).isEqualTo(bytes("v"));
        assertThat(mirrored.timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(StreamSupport.stream(mirrored.headers().spliterator(), false).map(Header::key).toList())
                .isEqualTo(List.of("logkv.version", MirrorHeaders.SOURCE_REGION, MirrorHeaders.SOURCE_OFFSET));
        assertThat(MirrorHeaders.sourceOffsetOf(mirrored.headers())).isEqualTo(1234L);
        assertThat(MirrorHeaders.sourceRegionOf(mirrored.headers())).isEqualTo("eu");
    }

    @Test
    void tombstoneStaysATombstone() {
        ConsumerRecord<byte[], byte[]> source = new ConsumerRecord<>("logkv.truth.ns", 0, 7L, bytes("k"), null);

        assertThat(MirroredRecords.toTarget(source, HOME).value()).isNull();
    }

    @Test
    void brokerStampedTimeIsNotCarriedOver() {
        ConsumerRecord<byte[], byte[]> source = new ConsumerRecord<>("logkv.truth.ns", 0, 7L, 99L, TimestampType.LOG_APPEND_TIME,
                1, 1, bytes("k"), bytes("v"), new RecordHeaders(), Optional.empty());

        assertThat(MirroredRecords.toTarget(source, HOME).timestamp()).isNull();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
