package io.logkv.writer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a writer knows of its partition's end after its own commits: its last record and marker, and the previous
 * transaction's marker only when the offsets show it must follow them. Another writer's record is never within it.
 */
class WriterProgressTest {

    private final WriterProgress progress = new WriterProgress();

    @Test
    void aMarkerThatCannotHaveLandedAmongTheRecordsIsAllowedForOnce() {
        progress.caughtUpTo(0);
        progress.committed(0, 0, 1);
        progress.committed(1, 2, 2); // right after the first transaction's record, without a gap: its marker comes later

        assertThat(progress.holdsOnlyKnown(5)).as("both markers after the records").isTrue();
        assertThat(progress.holdsOnlyKnown(6)).as("another writer's record after them").isFalse();
    }

    @Test
    void aMarkerThatLandedAmongTheRecordsIsNotAllowedForAgain() {
        progress.caughtUpTo(0);
        progress.committed(0, 0, 1);
        progress.committed(1, 3, 2); // a gap at 2: the first transaction's marker landed there

        assertThat(progress.holdsOnlyKnown(5)).isTrue();
        assertThat(progress.holdsOnlyKnown(6)).as("another writer's record at 5, acknowledged before its marker").isFalse();
    }

    @Test
    void aTransactionAfterAGapOwesNoMarker() {
        progress.caughtUpTo(10);
        progress.committed(10, 10, 1);
        progress.committed(12, 12, 1); // the first marker at 11, before this record

        assertThat(progress.holdsOnlyKnown(14)).isTrue();
        assertThat(progress.holdsOnlyKnown(15)).isFalse();
    }

    @Test
    void aCatchUpForgetsTheRecordsBeforeIt() {
        progress.committed(0, 0, 1);
        progress.caughtUpTo(40);
        progress.committed(41, 41, 1); // not after this writer's last record as far as it knows now

        assertThat(progress.holdsOnlyKnown(43)).isTrue();
        assertThat(progress.holdsOnlyKnown(44)).isFalse();
    }
}
