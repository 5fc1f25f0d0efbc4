package io.logkv.compactor.snapshot;

import io.logkv.core.KafkaConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * What Kafka says now of a truth partition's log: the id of its topic and its end. A namespace deleted and created
 * again has a truth topic of the same name but another id, and a log that starts again at offset 0; a snapshot of
 * the old one must not seed a replica of the new one. Asked through an admin client of its own (created on first
 * use), from any thread.
 */
final class TruthLogs implements AutoCloseable {

    /** How long a question to Kafka may take; a seed waits for the answer before it chooses a snapshot. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final KafkaConnection kafka;
    private Admin admin;

    TruthLogs(KafkaConnection kafka) {
        this.kafka = kafka;
    }

    /**
     * A truth partition's log now.
     *
     * @param partition the truth partition
     * @param topicId   the id of the truth topic
     * @param endOffset the end of the partition's log (its high watermark): no position of this log lies beyond it
     */
    record TruthLog(TopicPartition partition, Uuid topicId, long endOffset) {

        /**
         * Why a snapshot is not of this log, or null when it may be: taken from a topic with another id (one
         * deleted since), or at a position beyond the log's end (which a manifest without an id is judged by alone).
         */
        String notOf(SnapshotManifest snapshot) {
            if (snapshot.topicId() != null && !snapshot.topicId().equals(topicId)) {
                return "snapshot " + snapshot.id() + " is of another topic named " + partition.topic() + " (id " + snapshot.topicId()
                        + ", now " + topicId + "): the namespace was deleted and created again since";
            }
            if (snapshot.position() > endOffset) {
                return "snapshot " + snapshot.id() + " at position " + snapshot.position() + " is beyond the end of the log ("
                        + endOffset + "): it is not of this log";
            }
            return null;
        }
    }

    /**
     * The id of {@code tp}'s topic and the end of its log, both of the same topic (its id is asked again after its
     * end, and must not have changed).
     *
     * @throws IllegalStateException when Kafka does not answer in time, or the topic does not exist
     */
    TruthLog of(TopicPartition tp) {
        try {
            Uuid before = topicId(tp.topic());
            long end = admin().listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
            Uuid after = topicId(tp.topic());
            if (!before.equals(after)) {
                throw new IllegalStateException("the topic " + tp.topic() + " was deleted and created again while its end was asked");
            }
            return new TruthLog(tp, after, end);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("could not learn the id and end of " + tp + ": " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not say the id and end of " + tp + " within " + TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the id and end of " + tp, e);
        }
    }

    private Uuid topicId(String topic) throws ExecutionException, TimeoutException, InterruptedException {
        return admin().describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic).topicId();
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(kafka.properties());
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }
}
