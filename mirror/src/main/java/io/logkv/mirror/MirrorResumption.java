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
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a topic's mirror (re)starts: a fresh producer fences every other instance, then the committed
 * positions say where the consumer goes on, once they are known to be of the source topic as it is now
 * ({@link CopyReplacement}) and the target topic is created or checked (and claimed, with empty positions
 * naming the source topic's id, the first time). Mirror's thread only.
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
    private final CopyReplacement replacement;
    private final MirrorClients clients;
    private final WrittenPositions written;
    private final CopyCurrency currency;
    private final HomeLeaseGrants grants;
    /** Whether the last resume left the copy unregistered because the source's registry did not hold the namespace. */
    private volatile boolean awaitsRegistry;
    /** Whether the last resume left a home never bound before unbound (and the copy unregistered) until the copy catches up. */
    private volatile boolean awaitsCatchUp;
    /** Set before a resume asked for because the copy caught up: that resume binds the home and registers the copy. */
    private volatile boolean caughtUpBefore;
    /** The id of the source topic the last resume found: the log the consumer reads. */
    private volatile Uuid sourceTopicId;

    MirrorResumption(MirrorSettings settings, String topic, TargetTopics targetTopics, PositionsTopic positions,
                     PositionsTopic sourcePositions, OpenTransactions openTransactions, RegistryCopies registries,
                     CopyReplacement replacement, MirrorClients clients, WrittenPositions written, CopyCurrency currency,
                     HomeLeaseGrants grants) {
        this.settings = settings;
        this.topic = topic;
        this.targetTopics = targetTopics;
        this.positions = positions;
        this.sourcePositions = sourcePositions;
        this.openTransactions = openTransactions;
        this.registries = registries;
        this.replacement = replacement;
        this.clients = clients;
        this.written = written;
        this.currency = currency;
        this.grants = grants;
    }

    /** Fences, checks and seeks; the mirror can copy from the consumer's positions on when it returns. */
    void resume() throws InterruptedException {
        clients.closeProducer();
        TargetTopics.SourceTopic source = targetTopics.sourceTopic(topic);
        int partitions = source.partitions();
        sourceTopicId = source.id();
        KafkaProducer<byte[], byte[]> producer = clients.openProducer();
        producer.initTransactions();
        PositionsTopic.Committed state = positions.readCommitted(settings.sourceRegion(), topic);
        // Before anything is written: a refused mirror's claim would make the real home look like a copy.
        Set<RegionName> copiedFrom = sourcePositions.mirroredInto(topic);
        // A copy promoted to home in the source region (its registry says so) is mirrored on, from where the
        // promotion left the positions; any other copy is not mirrored back.
        if (!copiedFrom.isEmpty() && !registries.homeInSource(topic)) {
            throw new MirrorRefusedException(topic + " is itself a mirror's copy in region " + settings.sourceRegion()
                    + " (copied from " + copiedFrom + "): its home is elsewhere, and mirroring it back would loop");
        }
        registries.check(topic); // a namespace of the target region's own (or another's copy) is not mixed into
        grants.refuseIfRevoked(state.lease(), state.leaseUnreadable());
        Map<Integer, MirrorPosition> committed = replacement.resumable(producer, source, state.positions());
        targetTopics.prepare(topic, partitions, !committed.isEmpty());
        if (committed.isEmpty()) {
            claim(producer, source);
        }
        bindAndRegister(producer, state);
        // A transaction still open on a target partition would be committed by this mirror's next commit
        // marker if it is a hanging one of its own producer id, and holds readers back in any case.
        openTransactions.settle(topic, partitions, settings.transactionTimeout());
        List<TopicPartition> assigned = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        KafkaConsumer<byte[], byte[]> consumer = clients.consumer();
        consumer.assign(assigned);
        written.resetTo(partitions, committed);
        currency.resetTo(partitions);
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

    /**
     * Binds the source's nodes to the home lease, then registers the copy in the target: bound before the target holds a
     * copy a promotion could use. A refused mirror (checked before) binds nothing, and only a current copy is granted the
     * lease (HomeLeaseGrants). A home never bound before is bound once its new copy has caught up: binding it earlier
     * would stop its writes for as long as the copy takes to catch up with all it holds.
     */
    private void bindAndRegister(KafkaProducer<byte[], byte[]> producer, PositionsTopic.Committed state) {
        boolean sourceHolds = registries.holdsInSource(topic);
        boolean caughtUp = caughtUpBefore;
        caughtUpBefore = false;
        awaitsCatchUp = sourceHolds && state.lease().isEmpty() && !caughtUp;
        grants.resume(producer, state.lease(), state.leaseUnreadable(), sourceHolds && !awaitsCatchUp);
        if (caughtUp && grants.bound()) {
            // The copy was current at the transaction before this resume: granted at once, so that the home, bound a
            // moment ago, does not wait for the next transaction to take writes again.
            grants.grantNow(producer);
        }
        // The target region's nodes serve the copy once its registry names the namespace with its home. A namespace
        // whose topic exists before its entry (it is being created) is registered by a resume after the entry comes.
        awaitsRegistry = !awaitsCatchUp && !(grants.bound() && registries.register(topic));
        if (awaitsRegistry) {
            log.warn("event=mirror_registry_missing topic={} reason=\"the source region's registry has no such namespace (yet): the copy"
                    + " is registered, and the lease bound, at a resume once it has\"", topic);
        }
    }

    /**
     * Whether the last resume left the copy unregistered (and the lease unbound) because the source's registry did not
     * hold the namespace then: a namespace is created topic first, so a mirror can start between the two.
     */
    boolean awaitsRegistry() {
        return awaitsRegistry;
    }

    /** Whether the last resume left the home unbound and the copy unregistered until the copy has caught up. */
    boolean awaitsCatchUp() {
        return awaitsCatchUp;
    }

    /** The copy has caught up since the last resume: the next one binds the home's lease and registers the copy. */
    void caughtUp() {
        caughtUpBefore = true;
    }

    /** The id of the source topic the last resume found; null before the first. */
    Uuid sourceTopicId() {
        return sourceTopicId;
    }

    /**
     * Positions before the first record, so that a restart knows the target topic is this mirror's, and the source topic
     * id they are of, in one transaction.
     */
    private void claim(KafkaProducer<byte[], byte[]> producer, TargetTopics.SourceTopic source) {
        producer.beginTransaction();
        for (int p = 0; p < source.partitions(); p++) {
            producer.send(PositionsTopic.record(new MirrorPosition(settings.sourceRegion(), topic, p, 0, -1, -1)));
        }
        producer.send(CopyIncarnations.record(settings.sourceRegion(), topic, source.id()));
        producer.commitTransaction();
    }
}
