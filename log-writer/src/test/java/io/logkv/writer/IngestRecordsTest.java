package io.logkv.writer;

import io.logkv.core.IngestHeaders;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.KeyRules;
import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** An ingest record is applied only by the owner of its key's partition. */
class IngestRecordsTest {

    private static final int PARTITIONS = 6;
    private static final long NOW_MS = 1_700_000_000_000L;
    private final ManualNodeTime time = new ManualNodeTime(NOW_MS);
    private final IngestRecords ingest = new IngestRecords(new KeyRules(1024), 1 << 20,
            ns -> new NamespaceSettings(PARTITIONS, ns.value().equals("short-lived") ? Duration.ofMinutes(5) : Duration.ZERO),
            new SimpleMeterRegistry(), time);

    @Test
    void aRecordInTheIngestPartitionOfItsKeyBecomesAWrite() {
        byte[] key = "user-42".getBytes(StandardCharsets.UTF_8);
        PendingWrite write = ingest.toWrite(record(KeyPartitioner.partitionOf(key, PARTITIONS), key), 0);
        assertThat(write.request()).isNotNull();
        assertThat(write.truthPartition().partition()).isEqualTo(write.source().record().partition());
    }

    @Test
    void aRecordProducedToAnotherPartitionThanItsKeysIsMalformedAndNeverWrittenToAnotherOwnersPartition() {
        byte[] key = "user-42".getBytes(StandardCharsets.UTF_8);
        int wrong = (KeyPartitioner.partitionOf(key, PARTITIONS) + 1) % PARTITIONS;
        PendingWrite write = ingest.toWrite(record(wrong, key), 0);
        assertThat(write.request()).isNull();
        assertThat(write.source().malformedReason()).contains("belongs to partition");
        assertThat(write.truthPartition().partition()).isEqualTo(wrong);
    }

    @Test
    void theNamespaceDefaultTtlAppliesToIngestWritesThatNameNoneCountedFromTheOwnersClock() {
        byte[] key = "user-42".getBytes(StandardCharsets.UTF_8);
        int partition = KeyPartitioner.partitionOf(key, PARTITIONS);
        assertThat(ingest.toWrite(record("short-lived", partition, key), 0).request().expiresAtMs()).isEqualTo(NOW_MS + 300_000);

        time.advance(Duration.ofSeconds(7));
        assertThat(ingest.toWrite(record("short-lived", partition, key), 0).request().expiresAtMs()).isEqualTo(NOW_MS + 307_000);

        assertThat(ingest.toWrite(record(partition, key), 0).request().expiresAtMs()).as("a namespace without default")
                .isEqualTo(RecordEnvelope.NO_EXPIRY);
    }

    @Test
    void aRecordsOwnTtlWinsOverTheNamespaceDefaultAndCountsFromTheOwnersClock() {
        byte[] key = "user-42".getBytes(StandardCharsets.UTF_8);
        ConsumerRecord<byte[], byte[]> withTtl = record("short-lived", KeyPartitioner.partitionOf(key, PARTITIONS), key);
        withTtl.headers().add(IngestHeaders.TTL_MS, "2000".getBytes(StandardCharsets.UTF_8));
        time.advance(Duration.ofMinutes(1));

        assertThat(ingest.toWrite(withTtl, 0).request().expiresAtMs()).isEqualTo(NOW_MS + 60_000 + 2_000);
    }

    /**
     * A dead letter is the record, unchanged, with its reason and source; one whose value is past what LogKV accepts
     * goes without its value and headers, saying what was left out, so that it stays within what the writer produces.
     */
    @Test
    void aDeadLetterCopiesTheRecordWholeUnlessItsValueIsPastWhatLogKvAccepts() {
        byte[] key = "user-42".getBytes(StandardCharsets.UTF_8);
        ConsumerRecord<byte[], byte[]> small = record(KeyPartitioner.partitionOf(key, PARTITIONS), key);
        small.headers().add(IngestHeaders.IF_NONE_MATCH, "*".getBytes(StandardCharsets.UTF_8));
        var whole = ingest.deadLetter(new IngestRecords.IngestSource(small, null, 0), "precondition failed: " + "x".repeat(5_000));
        assertThat(whole.topic()).isEqualTo("logkv.dead-letters.ns");
        assertThat(whole.value()).isEqualTo(small.value());
        assertThat(whole.headers().lastHeader(IngestHeaders.IF_NONE_MATCH)).isNotNull();
        assertThat(whole.headers().lastHeader(IngestHeaders.DEAD_LETTER_OMITTED)).isNull();
        assertThat(whole.headers().lastHeader(IngestHeaders.DEAD_LETTER_REASON).value()).as("the reason, cut").hasSize(1024 + 3);

        ConsumerRecord<byte[], byte[]> large = new ConsumerRecord<>("logkv.ingest.ns", 0, 9, key, new byte[(1 << 20) + 60_000]);
        large.headers().add(IngestHeaders.TTL_MS, "1000".getBytes(StandardCharsets.UTF_8));
        var cut = ingest.deadLetter(new IngestRecords.IngestSource(large, null, 0), "malformed: the value is larger than 1048576 bytes");
        assertThat(cut.key()).isEqualTo(key);
        assertThat(cut.value()).isNull();
        assertThat(cut.headers().lastHeader(IngestHeaders.TTL_MS)).isNull();
        assertThat(new String(cut.headers().lastHeader(IngestHeaders.DEAD_LETTER_OMITTED).value(), StandardCharsets.UTF_8))
                .isEqualTo("the value (1108576 bytes) and 1 headers");
        assertThat(new String(cut.headers().lastHeader(IngestHeaders.DEAD_LETTER_SOURCE).value(), StandardCharsets.UTF_8))
                .isEqualTo("logkv.ingest.ns-0@9");
    }

    private static ConsumerRecord<byte[], byte[]> record(int partition, byte[] key) {
        return record("ns", partition, key);
    }

    private static ConsumerRecord<byte[], byte[]> record(String namespace, int partition, byte[] key) {
        byte[] value = new RecordEnvelope(new Version(1, 1), RecordEnvelope.NO_EXPIRY, "text/plain",
                "v".getBytes(StandardCharsets.UTF_8)).encode();
        return new ConsumerRecord<>("logkv.ingest." + namespace, partition, 7, key, value);
    }
}
