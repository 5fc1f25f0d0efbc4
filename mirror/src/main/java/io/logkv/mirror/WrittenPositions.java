package io.logkv.mirror;

import io.logkv.core.MirrorPosition;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Per partition, the committed position a topic's mirror last wrote: where the positions of partitions
 * that bring no records move on from. Mirror's thread only.
 */
final class WrittenPositions {

    private final MirrorSettings settings;
    private final String topic;
    private final Map<Integer, MirrorPosition> written = new HashMap<>();
    private long lastHeartbeatMs;

    WrittenPositions(MirrorSettings settings, String topic) {
        this.settings = settings;
        this.topic = topic;
    }

    /** After a resume: the committed positions, and the start for each partition that has none. */
    void resetTo(int partitions, Map<Integer, MirrorPosition> committed) {
        written.clear();
        for (int p = 0; p < partitions; p++) {
            written.put(p, committed.getOrDefault(p, new MirrorPosition(settings.sourceRegion(), topic, p, 0, -1, -1)));
        }
    }

    /** The position last committed for {@code partition}, or null. */
    MirrorPosition last(int partition) {
        return written.get(partition);
    }

    /** Positions that a transaction has just committed. */
    void committed(Map<Integer, MirrorPosition> positions) {
        written.putAll(positions);
    }

    /**
     * The positions of the partitions that returned no records in this poll (all but {@code busy}) that say
     * something new, to be committed without records:
     * <ul>
     *   <li>the source has been read past the last mirrored record: a source transaction's commit marker (and
     *   any aborted records) follows its last record, and a token of the source region names the position
     *   after the marker. Without this, a target region could not tell that nothing it lacks lies below such
     *   a position until the next record of that partition came;</li>
     *   <li>a heartbeat: every {@code heartbeat}, a partition read to the source's end gets a fresh caught-up
     *   time, so that the target region knows how old its copy is without traffic (a mirror that is stopped,
     *   cut off or behind lets it age).</li>
     * </ul>
     * Every source record below the consumer's position has been returned by a poll, and so copied.
     */
    Map<Integer, MirrorPosition> quiet(KafkaConsumer<byte[], byte[]> consumer, Set<Integer> caughtUp, long polledAtMs,
                                       Set<Integer> busy) {
        boolean heartbeat = polledAtMs - lastHeartbeatMs >= settings.heartbeat().toMillis();
        if (heartbeat) {
            lastHeartbeatMs = polledAtMs;
        }
        Map<Integer, MirrorPosition> moved = new HashMap<>();
        for (TopicPartition partition : consumer.assignment()) {
            MirrorPosition last = written.get(partition.partition());
            if (last == null || busy.contains(partition.partition())) {
                continue;
            }
            long position = consumer.position(partition, settings.kafkaTimeout());
            boolean fresh = caughtUp.contains(partition.partition());
            if (position > last.nextSourceOffset() || (heartbeat && fresh)) {
                moved.put(partition.partition(), new MirrorPosition(settings.sourceRegion(), topic, partition.partition(),
                        Math.max(position, last.nextSourceOffset()), last.lastTargetOffset(), last.lastSourceTimestampMs(),
                        fresh ? polledAtMs : last.caughtUpAtMs()));
            }
        }
        return moved;
    }
}
