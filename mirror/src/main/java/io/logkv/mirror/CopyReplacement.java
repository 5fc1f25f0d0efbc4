package io.logkv.mirror;

import io.logkv.core.MirrorPosition;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the copy of one incarnation of a source topic apart from another's (a namespace deleted and created again in
 * its home: same name, new topic id, a log starting again at 0). After the fence, the committed positions are resumed
 * from only when they are of the source topic as it is now: their incarnation ({@link CopyIncarnations}) names its
 * id; or, for positions of an earlier version that named none, they lie within its log (an offset beyond a log's end
 * cannot be of that log), and the id is then recorded as theirs. Otherwise the copy is of an earlier incarnation and
 * is replaced, in the order a home deletes a namespace: the target registry drops the namespace (its nodes drop the
 * copy), then the target topic is deleted; the mirror then claims a new, empty target topic and copies the new log
 * from its beginning. Every step is repeated by the next start until the claim commits, and a claim is only ever
 * committed into a target topic holding no records ({@link TargetTopics#prepare}): so no copy holds records of two
 * incarnations. Mirror's thread only.
 */
final class CopyReplacement {

    /** The mirror's events keep the logger name they have always had. */
    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);

    private final MirrorSettings settings;
    private final String topic;
    private final TargetTopics targetTopics;
    private final CopyIncarnations incarnations;
    private final RegistryCopies registries;

    CopyReplacement(MirrorSettings settings, String topic, TargetTopics targetTopics, CopyIncarnations incarnations,
                    RegistryCopies registries) {
        this.settings = settings;
        this.topic = topic;
        this.targetTopics = targetTopics;
        this.incarnations = incarnations;
        this.registries = registries;
    }

    /**
     * The committed positions to resume from: {@code committed} when they are of {@code source}'s log; none when the copy
     * starts anew (then from the source's beginning, under a claim naming {@code source}'s id).
     *
     * @param producer the mirror's producer, its transactions initialized (the fence)
     * @throws MirrorRefusedException when the copy is of another incarnation but the source registry does not name the
     *                                source region as the namespace's home (yet): a copy is never dropped for less
     */
    Map<Integer, MirrorPosition> resumable(KafkaProducer<byte[], byte[]> producer, TargetTopics.SourceTopic source,
                                          Map<Integer, MirrorPosition> committed) throws InterruptedException {
        if (committed.isEmpty()) {
            return committed;
        }
        Optional<Uuid> recorded = incarnations.read(settings.sourceRegion(), topic);
        if (recorded.isPresent() && recorded.get().equals(source.id())) {
            return committed;
        }
        if (recorded.isEmpty() && withinLog(source, committed)) {
            // Positions of an earlier version: taken as the current log's, which is recorded from now on.
            producer.beginTransaction();
            producer.send(CopyIncarnations.record(settings.sourceRegion(), topic, source.id()));
            producer.commitTransaction();
            log.info("event=mirror_incarnation_recorded topic={} source_topic_id={}", topic, source.id());
            return committed;
        }
        if (!registries.homeInSource(topic)) {
            throw new MirrorRefusedException("the copy of " + topic + " in region " + settings.targetRegion() + " is of another log than"
                    + " the source topic's (id " + source.id() + "), and region " + settings.sourceRegion() + "'s registry does not name"
                    + " it as the namespace's home: the copy is replaced once it does");
        }
        log.warn("event=mirror_copy_replaced topic={} source_topic_id={} copied_topic_id={} reason=\"the namespace was deleted and"
                + " created again in region {}\"", topic, source.id(), recorded.map(Uuid::toString).orElse("unknown"), settings.sourceRegion());
        registries.drop(topic);
        targetTopics.delete(topic);
        return Map.of();
    }

    /** Whether every committed position names a partition of the source and an offset within its log. */
    private boolean withinLog(TargetTopics.SourceTopic source, Map<Integer, MirrorPosition> committed) {
        Map<Integer, Long> ends = targetTopics.sourceEnds(topic, source.partitions());
        return committed.values().stream().allMatch(position -> ends.containsKey(position.partition())
                && position.nextSourceOffset() <= ends.get(position.partition()));
    }
}
