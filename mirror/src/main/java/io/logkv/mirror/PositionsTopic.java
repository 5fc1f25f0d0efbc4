package io.logkv.mirror;

import io.logkv.core.HomeLease;
import io.logkv.core.KafkaConnection;
import io.logkv.core.MirrorPosition;
import io.logkv.core.RegionName;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's topic of mirror positions ({@link MirrorPosition#TOPIC}, one partition, compacted, created
 * like a truth topic). In the target region: where each topic's mirror finds, after its fence, how far it
 * has committed. In the source region: which of its topics are themselves copies, not to be mirrored back.
 */
final class PositionsTopic {

    private static final Logger log = LoggerFactory.getLogger(PositionsTopic.class);
    private static final TopicPartition PARTITION = new TopicPartition(MirrorPosition.TOPIC, 0);

    private final Admin admin;
    private final KafkaConnection kafka;
    private final Duration kafkaTimeout;
    private final Duration readTimeout;

    /** The positions topic of the cluster that {@code admin} and {@code kafka} reach. */
    PositionsTopic(Admin admin, KafkaConnection kafka, MirrorSettings settings) {
        this.admin = admin;
        this.kafka = kafka;
        this.kafkaTimeout = settings.kafkaTimeout();
        this.readTimeout = settings.positionsReadTimeout();
    }

    /** The record that commits {@code position}, sent in the transaction of the records it covers. */
    static ProducerRecord<byte[], byte[]> record(MirrorPosition position) {
        return new ProducerRecord<>(MirrorPosition.TOPIC, 0, position.key(), position.value());
    }

    /** The record that commits the home lease of {@code topic}'s mirror from {@code sourceRegion} as it now stands. */
    static ProducerRecord<byte[], byte[]> record(RegionName sourceRegion, String topic, HomeLease lease) {
        return new ProducerRecord<>(MirrorPosition.TOPIC, 0, HomeLease.grantKey(sourceRegion, topic), lease.value());
    }

    /**
     * What the mirror of {@code topic} from one source region has committed here: its positions, by partition, and
     * the source's home lease it grants (empty before the first).
     */
    record Committed(Map<Integer, MirrorPosition> positions, Optional<HomeLease> lease, boolean leaseUnreadable) {
    }

    /**
     * Every committed position of {@code topic} mirrored from {@code sourceRegion}, by partition. Call only
     * after fencing: it reads until it has passed every record written before the call, so none of this
     * mirror's committed positions is missed, however long other topics' transactions keep the last stable
     * offset back (at most the target's transaction timeout; bounded by the positions read timeout).
     */
    Map<Integer, MirrorPosition> read(RegionName sourceRegion, String topic) {
        return readCommitted(sourceRegion, topic).positions();
    }

    /** The positions and the home lease of {@code topic}'s mirror from {@code sourceRegion}; read as {@link #read} reads. */
    Committed readCommitted(RegionName sourceRegion, String topic) {
        Map<Integer, MirrorPosition> positions = new HashMap<>();
        Scan scan = scan(topic);
        for (MirrorPosition position : scan.positions().values()) {
            if (position.sourceRegion().equals(sourceRegion)) {
                positions.put(position.partition(), position);
            }
        }
        HomeLease lease = scan.leases().get(sourceRegion);
        return new Committed(positions, Optional.ofNullable(lease == UNREADABLE ? null : lease), lease == UNREADABLE);
    }

    /**
     * The regions whose mirrors have claimed {@code topic} in this cluster: empty when the topic is no mirror's
     * copy here (or when this cluster has no positions topic at all).
     */
    Set<RegionName> mirroredInto(String topic) {
        if (!AdminCalls.await(admin.listTopics().names(), "list topics", kafkaTimeout).contains(MirrorPosition.TOPIC)) {
            return Set.of();
        }
        return scan(topic).positions().values().stream().map(MirrorPosition::sourceRegion).collect(Collectors.toSet());
    }

    /** The topic's latest positions, by source region and partition, and its home leases, by source region. */
    private record Scan(Map<String, MirrorPosition> positions, Map<RegionName, HomeLease> leases) {
    }

    /** The latest committed position of each (source region, partition) of {@code topic}, and its leases. */
    private Scan scan(String topic) {
        Map<String, MirrorPosition> latest = new HashMap<>();
        Map<RegionName, HomeLease> leases = new HashMap<>();
        CommittedRead.readToEnd(admin, kafka, PARTITION, "logkv-mirror-positions-" + topic, kafkaTimeout, readTimeout, record -> {
            if (HomeLease.isGrantKey(record.key())) {
                leaseOf(record, topic).ifPresent(lease -> leases.put(lease.getKey(), lease.getValue()));
                return;
            }
            MirrorPosition position = record.value() == null ? null : parseOrSkip(record);
            if (position != null && position.topic().equals(topic)) {
                latest.put(position.sourceRegion() + "/" + position.partition(), position);
            }
        });
        return new Scan(latest, leases);
    }

    /** Stands for a lease record of this topic that does not parse (a newer format, say): it fails closed. */
    private static final HomeLease UNREADABLE = HomeLease.required(1, 0).revoke();

    /** A lease record of {@code topic}: its source region and lease; empty for another topic's. */
    private static Optional<Map.Entry<RegionName, HomeLease>> leaseOf(ConsumerRecord<byte[], byte[]> record, String topic) {
        Optional<RegionName> source = HomeLease.grantSource(record.key(), topic);
        if (source.isEmpty() || record.value() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Map.entry(source.get(), HomeLease.parse(record.value())));
        } catch (IllegalArgumentException e) {
            log.error("event=home_lease_unreadable offset={} topic={} source={} effect=treated_as_revoked reason=\"{}\"", record.offset(),
                    topic, source.get(), e.getMessage());
            return Optional.of(Map.entry(source.get(), UNREADABLE));
        }
    }

    private static MirrorPosition parseOrSkip(ConsumerRecord<byte[], byte[]> record) {
        try {
            return MirrorPosition.parse(record.key(), record.value());
        } catch (IllegalArgumentException e) {
            log.warn("event=mirror_position_malformed offset={} reason=\"{}\"", record.offset(), e.getMessage());
            return null;
        }
    }
}
