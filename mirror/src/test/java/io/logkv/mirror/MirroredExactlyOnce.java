package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.MirrorHeaders;
import io.logkv.testkit.KafkaTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * The mirror's guarantee, checked against what the two logs really hold ({@code read_committed}): each
 * partition of the target topic is the source partition's committed records, each exactly once, in the
 * same order, with the same key, value and headers, followed by headers naming the source region and
 * the source offset.
 */
final class MirroredExactlyOnce {

    private MirroredExactlyOnce() {
    }

    /** Waits until the target holds as many committed records as the source, then checks them record by record. */
    static void assertMirrored(KafkaTestCluster source, KafkaTestCluster target, String topic, int partitions,
                               String sourceRegion, Duration timeout) throws InterruptedException {
        List<TopicPartition> all = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        long deadline = System.nanoTime() + timeout.toNanos();
        // The source is read again each time too: a transaction is acknowledged before its markers make its
        // records readable, so one read just after a commit can miss the last transaction.
        List<ConsumerRecord<byte[], byte[]>> sourceRecords = source.readCommitted(all);
        List<ConsumerRecord<byte[], byte[]>> targetRecords = target.readCommitted(all);
        while (targetRecords.size() != sourceRecords.size() && System.nanoTime() < deadline) {
            Thread.sleep(500);
            sourceRecords = source.readCommitted(all);
            targetRecords = target.readCommitted(all);
        }
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> sourceByPartition = byPartition(sourceRecords);
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> targetByPartition = byPartition(targetRecords);
        for (int p = 0; p < partitions; p++) {
            List<ConsumerRecord<byte[], byte[]>> expected = sourceByPartition.getOrDefault(p, List.of());
            List<ConsumerRecord<byte[], byte[]>> actual = targetByPartition.getOrDefault(p, List.of());
            try {
                assertThat(actual.stream().map(r -> MirrorHeaders.sourceOffsetOf(r.headers())).toList())
                        .as("source offsets mirrored into partition %d, in order, each once", p)
                        .isEqualTo(expected.stream().map(ConsumerRecord::offset).toList());
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + TargetLog.describe(target, topic, p), e);
            }
            for (int i = 0; i < expected.size(); i++) {
                assertSameRecord(expected.get(i), actual.get(i), sourceRegion);
            }
        }
    }

    private static void assertSameRecord(ConsumerRecord<byte[], byte[]> source, ConsumerRecord<byte[], byte[]> mirrored, String sourceRegion) {
        String where = source.topic() + "-" + source.partition() + "@" + source.offset();
        assertThat(mirrored.partition()).as("partition of %s", where).isEqualTo(source.partition());
        assertThat(mirrored.key()).as("key of %s", where).isEqualTo(source.key());
        assertThat(mirrored.value()).as("value of %s", where).isEqualTo(source.value());
        assertThat(mirrored.timestamp()).as("timestamp of %s", where).isEqualTo(source.timestamp());
        List<String> expectedHeaders = new ArrayList<>(headers(source));
        expectedHeaders.add(MirrorHeaders.SOURCE_REGION + "=" + Arrays.toString(sourceRegion.getBytes(StandardCharsets.UTF_8)));
        expectedHeaders.add(MirrorHeaders.SOURCE_OFFSET + "=" + Arrays.toString(MirrorHeaders.sourceOffset(source.offset()).value()));
        assertThat(headers(mirrored)).as("headers of %s", where).isEqualTo(expectedHeaders);
    }

    private static List<String> headers(ConsumerRecord<byte[], byte[]> record) {
        List<String> headers = new ArrayList<>();
        for (Header header : record.headers()) {
            headers.add(header.key() + "=" + Arrays.toString(header.value()));
        }
        return headers;
    }

    private static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().collect(Collectors.groupingBy(ConsumerRecord::partition, Collectors.toList()));
    }
}
