package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.RegionName;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's topic of copy incarnations ({@value #TOPIC}; one partition, compacted, created like a truth topic): for
 * each topic a mirror copies into this region, the Kafka topic id of the source topic whose log its positions are of.
 * A namespace deleted and created again in its home has a truth topic of the same name, another id, and a log that
 * starts again at 0: positions of the old log say nothing of the new one. The id is committed in the mirror's
 * transaction that claims the positions, so a position and the log it is of are exactly as committed as each other.
 * A topic of its own, so that the readers of the positions topic (the nodes' token translation) see only positions.
 */
final class CopyIncarnations {

    /** The compacted topic, in the target region, naming the source topic of each copy. */
    static final String TOPIC = "logkv.mirror.incarnations";

    private static final Logger log = LoggerFactory.getLogger(CopyIncarnations.class);
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);
    private static final byte FORMAT = 1;
    private static final int VALUE_BYTES = 1 + 2 * Long.BYTES;

    private final Admin admin;
    private final KafkaConnection kafka;
    /** Its calls' bounds: the Kafka timeout, and the positions read timeout for a whole read. */
    private final MirrorSettings bounds;

    /** The incarnations topic of the cluster that {@code admin} and {@code kafka} reach. */
    CopyIncarnations(Admin admin, KafkaConnection kafka, MirrorSettings bounds) {
        this.admin = admin;
        this.kafka = kafka;
        this.bounds = bounds;
    }

    /** Creates the topic when missing, as durable as the positions it completes. */
    void ensure() {
        TargetTopics.ownTopics(admin, bounds.kafkaTimeout()).ensure(TOPIC, 1);
    }

    /**
     * The record naming {@code sourceTopicId} as the source topic of {@code topic}'s copy from {@code sourceRegion}; with
     * a null id, the record that forgets it (positions then taken as those of an earlier version, which named none).
     */
    static ProducerRecord<byte[], byte[]> record(RegionName sourceRegion, String topic, Uuid sourceTopicId) {
        byte[] value = sourceTopicId == null ? null : ByteBuffer.allocate(VALUE_BYTES).put(FORMAT)
                .putLong(sourceTopicId.getMostSignificantBits()).putLong(sourceTopicId.getLeastSignificantBits()).array();
        return new ProducerRecord<>(TOPIC, PARTITION.partition(), key(sourceRegion, topic), value);
    }

    /**
     * The source topic id committed for {@code topic}'s copy from {@code sourceRegion}; empty when none is (no mirror of this
     * version has claimed it, or the topic does not exist). Read as {@link PositionsTopic#read} reads: after the fence.
     */
    Optional<Uuid> read(RegionName sourceRegion, String topic) {
        if (!exists()) {
            return Optional.empty();
        }
        byte[] wanted = key(sourceRegion, topic);
        AtomicReference<Uuid> latest = new AtomicReference<>();
        CommittedRead.readToEnd(admin, kafka, PARTITION, "logkv-mirror-incarnations-" + topic, bounds.kafkaTimeout(),
                bounds.positionsReadTimeout(), record -> {
            if (Arrays.equals(record.key(), wanted)) {
                latest.set(record.value() == null ? null : parseOrNull(record.value(), record.offset()));
            }
        });
        return Optional.ofNullable(latest.get());
    }

    /** Whether the cluster has the topic: one no mirror of this version has written into has none. */
    boolean exists() {
        return AdminCalls.await(admin.listTopics().names(), "list topics", bounds.kafkaTimeout()).contains(TOPIC);
    }

    private static byte[] key(RegionName sourceRegion, String topic) {
        return (sourceRegion.value() + "/" + topic).getBytes(StandardCharsets.UTF_8);
    }

    /** The id a value names; null (no id known) for a value of another format, which this version cannot compare. */
    private static Uuid parseOrNull(byte[] value, long offset) {
        if (value.length != VALUE_BYTES || value[0] != FORMAT) {
            log.warn("event=copy_incarnation_unreadable offset={} effect=treated_as_unknown", offset);
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(value, 1, value.length - 1);
        return new Uuid(in.getLong(), in.getLong());
    }
}
