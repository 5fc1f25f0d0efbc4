package io.logkv.mirror;

import io.logkv.core.HomeLease;
import io.logkv.core.MirrorPosition;
import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Where a mirror from the new home back into the old home starts (step 4 of a promotion): positions committed in
 * the old home's positions topic that say the new home's copy of the old home's log is carried already, so that a
 * mirror back carries only what the new home writes.
 */
final class MirrorBackSeed {

    private final Admin oldAdmin;
    private final MirrorSettings settings;
    private final NamespaceName namespace;

    /** The seed in the old home, the cluster {@code oldAdmin} reaches. */
    MirrorBackSeed(Admin oldAdmin, MirrorSettings settings, NamespaceName namespace) {
        this.oldAdmin = oldAdmin;
        this.settings = settings;
        this.namespace = namespace;
    }

    /**
     * Commits, in the old home's positions topic, the positions of a mirror from the new home that has carried
     * everything up to {@code newEnds} (the copy of the old home's log) into the old home up to {@code oldEnds}.
     *
     * @param replace whether positions already there (of a mirror from the new home before an earlier promotion the
     *                other way) are replaced: so before the new home names itself home, when no mirror back can have
     *                started (its start needs that); when finishing a forced promotion, a mirror back's own positions
     *                are kept
     */
    void seed(Map<Integer, Long> oldEnds, Map<Integer, Long> newEnds, boolean replace) {
        TargetTopics.ownTopics(oldAdmin, settings.kafkaTimeout()).ensure(MirrorPosition.TOPIC, 1);
        PositionsTopic oldPositions = new PositionsTopic(oldAdmin, settings.sourceKafka(), settings);
        PositionsTopic.Committed mirrorBack = oldPositions.readCommitted(settings.targetRegion(), namespace.truthTopic());
        // A forced promotion of the old home, earlier, revoked the new home's lease there: a mirror back grants it again.
        Optional<HomeLease> revoked = mirrorBack.lease().filter(HomeLease::revoked);
        boolean seedPositions = replace || mirrorBack.positions().isEmpty();
        if (!seedPositions && revoked.isEmpty()) {
            return;
        }
        Properties props = settings.sourceKafka().properties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-promotion-positions");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            revoked.ifPresent(lease -> sent.add(producer.send(PositionsTopic.record(settings.targetRegion(), namespace.truthTopic(),
                    new HomeLease(lease.untilMs(), lease.leaseMs(), lease.maxClockSkewMs(), false)))));
            if (seedPositions && new CopyIncarnations(oldAdmin, settings.sourceKafka(), settings).exists()) {
                // The seeded positions are of the new home's topic as it is now; an id recorded by an earlier mirror back
                // may be of an earlier topic of the same name. Forgotten, the mirror back records the current one.
                sent.add(producer.send(CopyIncarnations.record(settings.targetRegion(), namespace.truthTopic(), null)));
            }
            for (Map.Entry<Integer, Long> end : (seedPositions ? newEnds : Map.<Integer, Long>of()).entrySet()) {
                long oldEnd = oldEnds.getOrDefault(end.getKey(), 0L);
                sent.add(producer.send(PositionsTopic.record(new MirrorPosition(settings.targetRegion(), namespace.truthTopic(),
                        end.getKey(), end.getValue(), oldEnd - 1, -1))));
            }
            for (Future<RecordMetadata> each : sent) {
                each.get(settings.kafkaTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while writing the positions of the mirror back", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaUnavailableException("could not write the positions of the mirror back into region " + settings.sourceRegion(), e);
        }
    }
}
