package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MirrorPositionTest {

    private static final RegionName EU = new RegionName("eu-west");

    @Test
    void positionSurvivesItsRecordFormat() {
        MirrorPosition position = new MirrorPosition(EU, "logkv.truth.orders", 5, 1_234_567_890_123L, 42L, 1_700_000_000_000L,
                1_700_000_000_500L);

        assertThat(MirrorPosition.parse(position.key(), position.value())).isEqualTo(position);
    }

    @Test
    void keyNamesSourceTopicAndPartitionReadably() {
        MirrorPosition position = new MirrorPosition(EU, "logkv.truth.orders", 5, 10, 9, 0);

        assertThat(new String(position.key(), StandardCharsets.UTF_8)).isEqualTo("eu-west/logkv.truth.orders/5");
        assertThat(position.key()).isEqualTo(MirrorPosition.key(EU, "logkv.truth.orders", 5));
    }

    @Test
    void valueIsFormatThenFourBigEndianLongs() {
        byte[] value = new MirrorPosition(EU, "t", 0, 1, -1, -1, 7).value();

        assertThat(value).hasSize(33);
        assertThat(value[0]).isEqualTo((byte) 2);
        assertThat(value[8]).isEqualTo((byte) 1);
        assertThat(value[9]).isEqualTo((byte) 0xFF);
        assertThat(value[32]).isEqualTo((byte) 7);
    }

    @Test
    void theFirstFormatIsStillReadWithoutACaughtUpTime() {
        byte[] first = java.nio.ByteBuffer.allocate(25).put((byte) 1).putLong(10).putLong(9).putLong(1_700_000_000_000L).array();

        assertThat(MirrorPosition.parse(MirrorPosition.key(EU, "t", 3), first))
                .isEqualTo(new MirrorPosition(EU, "t", 3, 10, 9, 1_700_000_000_000L, -1));
    }

    @Test
    void differentSourcesOfOnePartitionHaveDifferentKeys() {
        assertThat(MirrorPosition.key(EU, "t", 0)).isNotEqualTo(MirrorPosition.key(new RegionName("us-east"), "t", 0));
    }

    @Test
    void malformedRecordsAreRefused() {
        byte[] key = MirrorPosition.key(EU, "t", 0);
        byte[] value = new MirrorPosition(EU, "t", 0, 1, 0, 0).value();
        byte[] otherFormat = value.clone();
        otherFormat[0] = 3;

        assertThatThrownBy(() -> MirrorPosition.parse(key, otherFormat)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MirrorPosition.parse(key, new byte[3])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MirrorPosition.parse("no-separator".getBytes(StandardCharsets.UTF_8), value))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MirrorPosition.parse("eu/t/x".getBytes(StandardCharsets.UTF_8), value))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MirrorPosition.parse(key, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
