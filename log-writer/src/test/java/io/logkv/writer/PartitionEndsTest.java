package io.logkv.writer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a new owner resumes an ingest partition, from the group's offset and the truth partition's progress markers. */
class PartitionEndsTest {

    @Test
    void theGroupsOffsetDecidesWhenTheMarkersAgree() {
        assertThat(PartitionEnds.resumeAt(120, 120, 0, 200)).isEqualTo(120);
        assertThat(PartitionEnds.resumeAt(0, 0, 0, 0)).isZero();
    }

    @Test
    void aPartitionNeverAppliedStartsAtItsFirstOffset() {
        assertThat(PartitionEnds.resumeAt(-1, 0, 0, 50)).isZero();
        assertThat(PartitionEnds.resumeAt(-1, 0, 30, 50)).as("records before 30 were removed by retention").isEqualTo(30);
    }

    @Test
    void aMissingOffsetResumesAfterWhatTheMarkersRecord() {
        // The group's offsets expired, or the group id changed: the records before 120 are in the truth log already.
        assertThat(PartitionEnds.resumeAt(-1, 120, 0, 200)).isEqualTo(120);
        assertThat(PartitionEnds.resumeAt(-1, 120, 150, 200)).as("retention removed more than was applied").isEqualTo(150);
    }

    @Test
    void anOffsetBehindTheMarkersIsRaisedToThem() {
        assertThat(PartitionEnds.resumeAt(40, 120, 0, 200)).isEqualTo(120);
        assertThat(PartitionEnds.resumeAt(160, 120, 0, 200)).isEqualTo(160);
    }

    @Test
    void markersPastTheEndOfAnIngestTopicCreatedAgainAreIgnored() {
        assertThat(PartitionEnds.resumeAt(-1, 500, 0, 20)).isZero();
        assertThat(PartitionEnds.resumeAt(10, 500, 0, 20)).isEqualTo(10);
        assertThat(PartitionEnds.resumeAt(-1, 20, 0, 20)).as("exactly at the end is an ordinary resume").isEqualTo(20);
    }

    @Test
    void aPartitionThatLostItsTailResumesAtItsEndNotItsStart() {
        // An unclean leader election cut the partition below what was applied and committed: the records that are
        // gone were applied already; the next one produced gets the end's offset.
        assertThat(PartitionEnds.resumeAt(480, 500, 0, 20)).isEqualTo(20);
        assertThat(PartitionEnds.resumeAt(480, 480, 5, 300)).isEqualTo(300);
    }
}
