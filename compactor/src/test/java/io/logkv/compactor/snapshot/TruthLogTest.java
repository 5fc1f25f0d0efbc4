package io.logkv.compactor.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.NamespaceName;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

/**
 * Which snapshots are of a truth partition's log as it is now: those of its topic's present id, at a position not
 * beyond its end. A manifest from before topic ids were recorded is judged by its position alone.
 */
class TruthLogTest {

    private static final NamespaceName NAMESPACE = new NamespaceName("orders");
    private static final TopicPartition TP = NAMESPACE.truthPartition(0);
    private static final Uuid TOPIC = Uuid.randomUuid();
    private static final TruthLogs.TruthLog LOG = new TruthLogs.TruthLog(TP, TOPIC, 10_000);

    @Test
    void aSnapshotOfThePresentTopicWithinItsLogIsOfIt() {
        assertThat(LOG.notOf(snapshot(TOPIC, 10_000))).isNull();
    }

    @Test
    void aSnapshotOfATopicOfTheSameNameDeletedSinceIsNotOfIt() {
        assertThat(LOG.notOf(snapshot(Uuid.randomUuid(), 5_000))).contains("another topic").contains("deleted and created again");
    }

    @Test
    void aSnapshotBeyondTheEndOfTheLogIsNotOfIt() {
        assertThat(LOG.notOf(snapshot(TOPIC, 10_001))).contains("beyond the end of the log");
    }

    @Test
    void aManifestWithoutATopicIdIsJudgedByItsPositionAlone() {
        SnapshotManifest written = snapshot(TOPIC, 5_000);
        String withoutId = written.encode().lines().filter(line -> !line.startsWith("topicId=")).reduce("", (a, b) -> a + b + "\n");
        SnapshotManifest older = SnapshotManifest.decode(withoutId);

        assertThat(older.topicId()).isNull();
        assertThat(LOG.notOf(older)).isNull();
        assertThat(new TruthLogs.TruthLog(TP, TOPIC, 4_999).notOf(older)).contains("beyond the end of the log");
    }

    @Test
    void theTopicIdSurvivesTheManifestsText() {
        SnapshotManifest written = snapshot(TOPIC, 5_000);
        assertThat(SnapshotManifest.decode(written.encode())).isEqualTo(written);
    }

    private static SnapshotManifest snapshot(Uuid topicId, long position) {
        return new SnapshotManifest(NAMESPACE, 0, topicId, position, "digest", SnapshotManifest.FORMAT_ROCKSDB_V1, 1_700_000_000_000L,
                Map.of("000008.sst", 1_024L, "CURRENT", 16L));
    }
}
