package io.logkv.mirror;

import io.logkv.core.MirrorPosition;
import io.logkv.core.RegionName;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a topic's mirror (re)starts: a fresh producer fences every other instance, then the committed
 * positions say where the consumer goes on, once the target topic is created or checked (and claimed,
 * with empty positions, the first time). Mirror's thread only.
 */
final class MirrorResumption {

    /** The mirror's events keep the logger name they have always had. */
    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);

    private final MirrorSettings settings;
    private final String topic;
    private final TargetTopics targetTopics;
    private final PositionsTopic positions;
    private final PositionsTopic sourcePositions;
    private final OpenTransactions openTransactions;
    private final RegistryCopies registries;
    private final MirrorClients clients;
    private final WrittenPositions written;
    private final HomeLeaseGrants grants;

    MirrorResumption(MirrorSettings settings, String topic, TargetTopics targetTopics, PositionsTopic positions,
                     PositionsTopic sourcePositions, OpenTransactions openTransactions, RegistryCopies registries,
                     MirrorClients clients, WrittenPositions written, HomeLeaseGrants grants) {
        this.settings = settings;
        this.topic = topic;
        this.targetTopics = targetTopics;
        this.positions = positions;
        this.sourcePositions = sourcePositions;
        this.openTransactions = openTransactions;
        this.registries = registries;
        this.clients = clients;
        this.written = written;
        this.grants = grants;
    }

    /** Fences, checks and seeks; the mirror can copy from the consumer's positions on when it returns. */
    void resume() throws InterruptedException {
        clients.closeProducer();
        int partitions = targetTopics.sourcePartitions(topic);
        KafkaProducer<byte[], byte[]> producer = clients.openProducer();
        producer.initTransactions();
        PositionsTopic.Committed state = positions.readCommitted(settings.sourceRegion(), topic);
        Map<Integer, MirrorPosition> committed = state.positions();
        // Before anything is written: a refused mirror's claim would make the real home look like a copy.
        Set<RegionName> copiedFrom = sourcePositions.mirroredInto(topic);
        // A copy promoted to home in the source region (its registry says so) is mirrored on, from where the
        // promotion left the positions; any other copy is not mirrored back.
        if (!copiedFrom.isEmpty() && !registries.homeInSource(topic)) {
            throw new MirrorRefusedException(topic + " is itself a mirror's copy in region " + settings.sourceRegion()
                    + " (copied from " + copiedFrom + "): its home is elsewhere, and mirroring it back would loop");
        }
        registries.check(topic); // a namespace of the target region's own (or another's copy) is not mixed into
        // The source's nodes are bound to the home lease before the target holds a grant (or a copy) a promotion could use.
        grants.resume(producer, state.lease(), state.leaseUnreadable(), registries.holdsInSource(topic));
        targetTopics.prepare(topic, partitions, !committed.isEmpty());
        if (committed.isEmpty()) {
            claim(producer, partitions);
        }
        // The target region's nodes serve the copy once its registry names the namespace with its home.
        registries.register(topic);
        // A transaction still open on a target partition would be committed by this mirror's next commit
        // marker if it is a hanging one of its own producer id, and holds readers back in any case.
        openTransactions.settle(topic, partitions, settings.transactionTimeout());
        List<TopicPartition> assigned = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        KafkaConsumer<byte[], byte[]> consumer = clients.consumer();
        consumer.assign(assigned);
        written.resetTo(partitions, committed);
        for (TopicPartition partition : assigned) {
            MirrorPosition position = committed.get(partition.partition());
            if (position == null || position.lastTargetOffset() < 0) {
                consumer.seekToBeginning(List.of(partition));
            } else {
                consumer.seek(partition, position.nextSourceOffset());
            }
        }
        log.info("event=mirror_resumed topic={} source={} target={} partitions={} positions={}", topic, settings.sourceRegion(),
                settings.targetRegion(), partitions, committed.values().stream()
                        .map(p -> p.partition() + ":" + p.nextSourceOffset()).sorted().toList());
    }

    /** Positions before the first record, so that a restart knows the target topic is this mirror's. */
    private void claim(KafkaProducer<byte[], byte[]> producer, int partitions) {
        producer.beginTransaction();
        for (int p = 0; p < partitions; p++) {
            producer.send(PositionsTopic.record(new MirrorPosition(settings.sourceRegion(), topic, p, 0, -1, -1)));
        }
        producer.commitTransaction();
    }
}
