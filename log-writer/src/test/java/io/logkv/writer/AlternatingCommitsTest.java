package io.logkv.writer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Taking a partition's transactional ids one after the other, and stopping when the writer gives the partition up. */
class AlternatingCommitsTest {

    @Test
    void aWriterThatGivesThePartitionUpWhileTakingItsIdsTakesNoFurtherOne() {
        List<String> taken = new ArrayList<>();
        AtomicBoolean givenUp = new AtomicBoolean();
        // Taking the first id is slow; meanwhile the group gives the partition to another node, which takes both.
        AlternatingCommits commits = new AlternatingCommits(List.of(new Turn("id", taken, () -> givenUp.set(true)),
                new Turn("id.1", taken, () -> { })));

        assertThatThrownBy(() -> commits.fenceEarlierWriters(givenUp::get)).isInstanceOf(WriteFailedException.class);

        assertThat(taken).as("the second id, which the newer owner holds, is not taken from it").containsExactly("id");
        assertThat(commits.ready()).isFalse();
    }

    @Test
    void aWriterThatKeepsThePartitionTakesEveryId() {
        List<String> taken = new ArrayList<>();
        AlternatingCommits commits = new AlternatingCommits(List.of(new Turn("id", taken, () -> { }), new Turn("id.1", taken, () -> { })));

        commits.fenceEarlierWriters(() -> false);

        assertThat(taken).containsExactly("id", "id.1");
        assertThat(commits.ready()).isTrue();
    }

    /** One transactional id: taking it is noted, and runs {@code whileTaking}. */
    private static final class Turn implements PartitionCommits {
        private final String id;
        private final List<String> taken;
        private final Runnable whileTaking;
        private boolean ready;

        Turn(String id, List<String> taken, Runnable whileTaking) {
            this.id = id;
            this.taken = taken;
            this.whileTaking = whileTaking;
        }

        @Override
        public void fenceEarlierWriters() {
            whileTaking.run();
            taken.add(id);
            ready = true;
        }

        @Override
        public boolean ready() {
            return ready;
        }

        @Override
        public List<Long> commit(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> ingestOffsets) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
            ready = false;
        }
    }
}
