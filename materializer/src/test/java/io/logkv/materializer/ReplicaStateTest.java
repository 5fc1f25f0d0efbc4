package io.logkv.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A replica starts replaying, serves once it has reached the log's end, never goes back, and stays closed. */
class ReplicaStateTest {

    @Test
    void aReplayingReplicaMayStartServingOrClose() {
        assertThat(ReplicaState.REPLAYING.mayBecome(ReplicaState.SERVING)).isTrue();
        assertThat(ReplicaState.REPLAYING.mayBecome(ReplicaState.CLOSED)).isTrue();
    }

    @Test
    void aServingReplicaNeverGoesBackToReplaying() {
        assertThat(ReplicaState.SERVING.mayBecome(ReplicaState.REPLAYING)).isFalse();
        assertThat(ReplicaState.SERVING.mayBecome(ReplicaState.CLOSED)).isTrue();
    }

    @Test
    void aClosedReplicaNeverOpensAgain() {
        for (ReplicaState next : ReplicaState.values()) {
            assertThat(ReplicaState.CLOSED.mayBecome(next)).as("CLOSED -> " + next).isFalse();
        }
    }
}
