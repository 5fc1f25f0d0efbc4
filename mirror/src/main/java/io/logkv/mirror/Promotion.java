package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.MirrorPosition;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.OwnerSettings;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Makes the region holding a namespace's copy its home: {@code bin/logkv promote NAMESPACE --region b}
 * (docs/adr/0020-promotion-of-another-region.md, docs/operations.md "Region loss"). The settings' source
 * region is the old home, their target the region promoted.
 *
 * <p>With the old home reachable (a planned promotion, nothing lost):
 * <ol>
 *   <li>the old home's registry names the new home: its nodes stop owning the namespace and refuse its writes;</li>
 *   <li>every truth partition's transactional id is taken in the old home, which fences its writers: an open
 *       transaction is aborted, and an owner that takes the id again afterwards reads the registry first
 *       ({@code NamespaceHomes}) and does not write;</li>
 *   <li>the mirror carries the old home's log to its end (now final) into the new home;</li>
 *   <li>the old home's positions topic gets the positions of a mirror from the new home that start where the
 *       copy ends, so that a mirror back carries only the new home's writes;</li>
 *   <li>the new home's registry names it home: its nodes take the partitions and write.</li>
 * </ol>
 * No write is accepted by two homes: the old home's writers are fenced (1, 2) before the new home's take over (5).
 *
 * <p>With the old home lost ({@code force}): only step 5; the writes the mirror had not carried are lost (at most
 * the copy's lag, reported). The old home must not take writes when it returns: run the promotion again once it is
 * reachable, before its nodes start, and it completes steps 1, 2 and 4 (or says how to rebuild the old home's copy
 * when it holds records the new home never received).
 */
public final class Promotion {

    /**
     * What a promotion did.
     *
     * @param planned      whether the old home was reachable and fenced (nothing lost)
     * @param lagMs        force: how old the new home's copy was (data at risk, in time); planned: 0
     * @param uncarried    records of the old home's log the new home never received, by partition (planned: none;
     *                     force: unknown until the old home is reachable, empty)
     * @param tookMs       how long the promotion took
     */
    public record Outcome(boolean planned, long lagMs, Map<Integer, Long> uncarried, long tookMs) {
    }

    private final MirrorSettings settings;
    private final NamespaceName namespace;
    private final String writersGroup;
    private final Duration drainTimeout;
    private final PrintStream progress;
    private final RegistryTopic registries;

    /**
     * @param settings     source: the old home; target: the region promoted
     * @param writersGroup the writers' group id of the old home's nodes ({@code logkv.writer.group-id})
     * @param drainTimeout how long a planned promotion waits for the mirror to carry the old home's log
     * @param progress     where each step is told
     */
    public Promotion(MirrorSettings settings, NamespaceName namespace, String writersGroup, Duration drainTimeout, PrintStream progress) {
        this.settings = settings;
        this.namespace = namespace;
        this.writersGroup = writersGroup;
        this.drainTimeout = drainTimeout;
        this.progress = progress;
        this.registries = new RegistryTopic(settings.kafkaTimeout(), settings.positionsReadTimeout());
    }

    /**
     * Promotes the target region.
     *
     * @param force promote although the old home cannot be reached (its uncarried writes are lost)
     * @throws PromotionRefusedException when the registries do not describe a copy of the old home in the target,
     *                                   or when the old home holds writes the new home never received
     * @throws PromotionIncompleteException when a cluster needed cannot be reached (the old home, without force) or
     *                                      the mirror does not carry the old home's log in time: run it again
     */
    public Outcome promote(boolean force) throws InterruptedException {
        try {
            return promoteOrFail(force);
        } catch (KafkaUnavailableException e) {
            throw new PromotionIncompleteException(e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"), e);
        } catch (org.apache.kafka.common.KafkaException e) {
            // A client's own failure (a timeout, an interrupt): nothing is known to be half done that a new run would not finish.
            throw new PromotionIncompleteException("a Kafka call failed: " + e, e);
        }
    }

    private Outcome promoteOrFail(boolean force) throws InterruptedException {
        long started = System.nanoTime();
        RegionName oldHome = settings.sourceRegion();
        RegionName newHome = settings.targetRegion();
        NamespaceSettings copy = settingsIn(settings.targetKafka()).orElseThrow(() -> new PromotionRefusedException(
                "region " + newHome + " holds no namespace " + namespace));
        boolean alreadyHome = copy.home() == null;
        if (!alreadyHome && !oldHome.equals(copy.home())) {
            throw new PromotionRefusedException("region " + newHome + " holds " + namespace + " as a copy of region " + copy.home()
                    + ", not of " + oldHome);
        }
        if (force) {
            if (alreadyHome) {
                say("region " + newHome + " is already the home of " + namespace);
                return new Outcome(false, 0, Map.of(), millisSince(started));
            }
            long lagMs;
            try (Admin newAdmin = Admin.create(settings.targetKafka().properties())) {
                lagMs = copyLagMs(newAdmin);
            }
            registries.write(settings.targetKafka(), namespace, copy.withHome(null));
            say("region " + newHome + " is the home of " + namespace + " (forced: the writes the mirror had not carried are lost;"
                    + " the copy was " + (lagMs < 0 ? "of unknown age" : lagMs + " ms old") + "). Run the promotion again once region "
                    + oldHome + " is reachable, before its nodes start");
            return new Outcome(false, lagMs, Map.of(), millisSince(started));
        }
        try (Admin oldAdmin = Admin.create(settings.sourceKafka().properties());
             Admin newAdmin = Admin.create(settings.targetKafka().properties())) {
            NamespaceSettings home = settingsIn(settings.sourceKafka()).orElseThrow(() -> new PromotionRefusedException(
                    "region " + oldHome + " holds no namespace " + namespace));
            if (!oldHome.equals(home.home())) {
                registries.write(settings.sourceKafka(), namespace, home.withHome(newHome));
                say("1/5 region " + oldHome + "'s registry names " + newHome + " as the home of " + namespace);
            }
            int partitions = copy.partitions();
            fence(partitions);
            say("2/5 the writers of " + namespace + " in region " + oldHome + " are fenced (" + partitions + " partitions)");
            Map<Integer, Long> oldEnds = ends(oldAdmin, partitions);
            Map<Integer, Long> carried = awaitCarried(newAdmin, oldEnds, alreadyHome);
            Map<Integer, Long> uncarried = recordsBetween(carried, oldEnds);
            if (!uncarried.isEmpty()) {
                throw new PromotionRefusedException("region " + oldHome + " holds " + uncarried.values().stream().mapToLong(Long::longValue).sum()
                        + " records of " + namespace + " that region " + newHome + " never received (by partition: " + uncarried
                        + "), written before the forced promotion: its copy must be rebuilt from region " + newHome
                        + " (docs/operations.md, \"Region loss\")");
            }
            say("3/5 region " + newHome + " holds the whole log of " + namespace + " as region " + oldHome + " wrote it");
            if (!alreadyHome) {
                seedMirrorBack(oldAdmin, oldEnds, ends(newAdmin, partitions), true);
                say("4/5 a mirror from " + newHome + " to " + oldHome + " starts at the end of the copy");
                registries.write(settings.targetKafka(), namespace, copy.withHome(null));
            } else {
                seedMirrorBack(oldAdmin, oldEnds, carriedEnds(newAdmin, partitions), false);
                say("4/5 a mirror from " + newHome + " to " + oldHome + " starts where the copy ended");
            }
            say("5/5 region " + newHome + " is the home of " + namespace);
            return new Outcome(true, 0, Map.of(), millisSince(started));
        }
    }

    /**
     * The home a region's registry names for {@code namespace}: empty when the region holds no such namespace; the
     * region itself ({@code self}) when the entry names no other.
     */
    public static Optional<RegionName> homeIn(KafkaConnection region, RegionName self, NamespaceName namespace, Duration timeout) {
        byte[] entry;
        try {
            entry = new RegistryTopic(timeout, timeout).entries(region).get(namespace.value());
        } catch (KafkaUnavailableException e) {
            throw new PromotionIncompleteException("could not read the namespace registry at " + region.bootstrapServers(), e);
        }
        if (entry == null) {
            return Optional.empty();
        }
        RegionName home = NamespaceSettings.decode(entry).home();
        return Optional.of(home == null ? self : home);
    }

    /** The namespace's entry in a region's registry; empty when it holds none. */
    private Optional<NamespaceSettings> settingsIn(KafkaConnection region) {
        try {
            return registries.latest(region, namespace);
        } catch (IllegalArgumentException e) {
            throw new PromotionRefusedException("the registry entry of " + namespace + " at " + region.bootstrapServers()
                    + " does not parse: " + e.getMessage());
        }
    }

    /** Takes every truth partition's transactional id in the old home: its writers are fenced, open transactions aborted. */
    private void fence(int partitions) {
        for (int p = 0; p < partitions; p++) {
            Properties props = settings.sourceKafka().properties();
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                    OwnerSettings.transactionalId(writersGroup, new TopicPartition(namespace.truthTopic(), p)));
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
            props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-promotion-fence");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.initTransactions();
            } catch (org.apache.kafka.common.KafkaException e) {
                throw new KafkaUnavailableException("could not fence the writers of " + namespace + "-" + p + " in region "
                        + settings.sourceRegion(), e);
            }
        }
    }

    /** The end (high watermark) of each of the namespace's truth partitions in the cluster {@code admin} reaches. */
    private Map<Integer, Long> ends(Admin admin, int partitions) {
        Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, partitions).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition(namespace.truthTopic(), p), p -> OffsetSpec.latest()));
        Map<Integer, Long> ends = new TreeMap<>();
        AdminCalls.await(admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all(),
                "read the ends of " + namespace.truthTopic(), settings.kafkaTimeout())
                .forEach((partition, info) -> ends.put(partition.partition(), info.offset()));
        return ends;
    }

    /**
     * Waits until the mirror's positions in the new home cover every old home's record below {@code oldEnds}
     * (unless the new home is home already: then the mirror into it has stopped). Returns the first source offset
     * of each partition that the mirror has not carried.
     */
    private Map<Integer, Long> awaitCarried(Admin newAdmin, Map<Integer, Long> oldEnds, boolean alreadyHome)
            throws InterruptedException {
        PositionsTopic positions = positionsIn(newAdmin);
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        long nextReport = 0;
        while (true) {
            Map<Integer, MirrorPosition> carried = positions.read(settings.sourceRegion(), namespace.truthTopic());
            Map<Integer, Long> missing = new TreeMap<>();
            oldEnds.forEach((partition, end) -> {
                MirrorPosition position = carried.get(partition);
                long next = position == null ? 0 : position.nextSourceOffset();
                if (next < end) {
                    missing.put(partition, end - next);
                }
            });
            if (missing.isEmpty() || alreadyHome) {
                // Once promoted, the new home takes nothing more from the old one.
                Map<Integer, Long> next = new TreeMap<>();
                oldEnds.keySet().forEach(partition -> next.put(partition,
                        carried.containsKey(partition) ? carried.get(partition).nextSourceOffset() : 0L));
                return next;
            }
            if (System.nanoTime() > deadline) {
                throw new KafkaUnavailableException("the mirror did not carry the log of " + namespace + " from region "
                        + settings.sourceRegion() + " within " + drainTimeout.toSeconds() + " s (offsets still to carry: " + missing
                        + "); is the mirror running? Region " + settings.sourceRegion() + " already refuses writes: run the promotion"
                        + " again to finish it", null);
            }
            if (System.nanoTime() > nextReport) {
                say("    waiting for the mirror to carry the rest of the log: " + missing + " (offsets, by partition)");
                nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            }
            Thread.sleep(200);
        }
    }

    /**
     * The committed records of the old home's log from {@code from} up to {@code ends}, counted by partition (those
     * with none left out): what the new home never received. Aborted transactions and markers are not counted.
     */
    private Map<Integer, Long> recordsBetween(Map<Integer, Long> from, Map<Integer, Long> ends) {
        Map<Integer, Long> counts = new TreeMap<>();
        List<TopicPartition> behind = ends.keySet().stream().filter(p -> from.getOrDefault(p, 0L) < ends.get(p))
                .map(p -> new TopicPartition(namespace.truthTopic(), p)).toList();
        if (behind.isEmpty()) {
            return counts;
        }
        Properties props = settings.sourceKafka().properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logkv-promotion-count");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(behind);
            behind.forEach(partition -> consumer.seek(partition, from.getOrDefault(partition.partition(), 0L)));
            long deadline = System.nanoTime() + settings.positionsReadTimeout().toNanos();
            while (behind.stream().anyMatch(tp -> consumer.position(tp, settings.kafkaTimeout()) < ends.get(tp.partition()))) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaUnavailableException("could not read " + namespace.truthTopic() + " of region "
                            + settings.sourceRegion() + " to its end", null);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < ends.get(record.partition())) {
                        counts.merge(record.partition(), 1L, Long::sum);
                    }
                }
            }
        }
        return counts;
    }

    /** Where the mirror into the new home ended each partition: the new home's offset after the last record it copied. */
    private Map<Integer, Long> carriedEnds(Admin newAdmin, int partitions) {
        Map<Integer, MirrorPosition> carried = positionsIn(newAdmin).read(settings.sourceRegion(), namespace.truthTopic());
        Map<Integer, Long> ends = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            MirrorPosition position = carried.get(p);
            ends.put(p, position == null ? 0 : position.lastTargetOffset() + 1);
        }
        return ends;
    }

    /**
     * Commits, in the old home's positions topic, the positions of a mirror from the new home that has carried
     * everything up to {@code newEnds} (the copy of the old home's log) into the old home up to {@code oldEnds}:
     * a mirror back starts there and carries only what the new home writes.
     *
     * @param replace whether positions already there (of a mirror from the new home before an earlier promotion the
     *                other way) are replaced: so before the new home names itself home, when no mirror back can have
     *                started (its start needs that); when finishing a forced promotion, a mirror back's own positions
     *                are kept
     */
    private void seedMirrorBack(Admin oldAdmin, Map<Integer, Long> oldEnds, Map<Integer, Long> newEnds, boolean replace) {
        new TruthTopics(oldAdmin, new TruthTopicRequirements(TruthTopicRequirements.MIN_REPLICATION_FACTOR,
                TruthTopicRequirements.MIN_IN_SYNC_REPLICAS, 1024 * 1024), settings.kafkaTimeout()).ensure(MirrorPosition.TOPIC, 1);
        PositionsTopic oldPositions = new PositionsTopic(oldAdmin, settings.sourceKafka(), settings);
        if (!replace && !oldPositions.read(settings.targetRegion(), namespace.truthTopic()).isEmpty()) {
            return;
        }
        Properties props = settings.sourceKafka().properties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-promotion-positions");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (Map.Entry<Integer, Long> end : newEnds.entrySet()) {
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

    /** How old the new home's copy is: now minus the oldest time the mirror found a partition read to its end; -1 unknown. */
    private long copyLagMs(Admin newAdmin) {
        Map<Integer, MirrorPosition> carried = positionsIn(newAdmin).read(settings.sourceRegion(), namespace.truthTopic());
        long oldest = carried.values().stream().mapToLong(MirrorPosition::caughtUpAtMs).min().orElse(-1);
        return oldest < 0 ? -1 : Math.max(0, System.currentTimeMillis() - oldest);
    }

    private PositionsTopic positionsIn(Admin newAdmin) {
        return new PositionsTopic(newAdmin, settings.targetKafka(), settings);
    }

    private void say(String line) {
        progress.println(line);
        progress.flush();
    }

    private static long millisSince(long startedNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }
}
