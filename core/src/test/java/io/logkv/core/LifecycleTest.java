package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A lifecycle moves only along the transitions its states allow. */
class LifecycleTest {

    /** OPEN ──► RUNNING ──► CLOSED, and OPEN ──► CLOSED. */
    enum Door implements Lifecycle.State<Door> {
        OPEN, RUNNING, CLOSED;

        @Override
        public boolean mayBecome(Door next) {
            return switch (this) {
                case OPEN -> next == RUNNING || next == CLOSED;
                case RUNNING -> next == CLOSED;
                case CLOSED -> false;
            };
        }
    }

    @Test
    void anAllowedTransitionMovesTheState() {
        Lifecycle<Door> door = new Lifecycle<>("door", Door.OPEN);
        assertThat(door.compareAndTransition(Door.OPEN, Door.RUNNING)).isTrue();
        assertThat(door.current()).isEqualTo(Door.RUNNING);
        assertThat(door.transition(Door.CLOSED)).isEqualTo(Door.RUNNING);
        assertThat(door.current()).isEqualTo(Door.CLOSED);
    }

    @Test
    void aCompareAndTransitionFromAStateAlreadyLeftMovesNothing() {
        Lifecycle<Door> door = new Lifecycle<>("door", Door.OPEN);
        door.transition(Door.CLOSED);
        assertThat(door.compareAndTransition(Door.OPEN, Door.RUNNING)).isFalse();
        assertThat(door.current()).isEqualTo(Door.CLOSED);
    }

    @Test
    void aTransitionTheTableForbidsFailsAndLeavesTheStateAsItWas() {
        Lifecycle<Door> door = new Lifecycle<>("door", Door.OPEN);
        door.transition(Door.RUNNING);
        assertThatThrownBy(() -> door.transition(Door.OPEN))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("door may not go from RUNNING to OPEN");
        assertThatThrownBy(() -> door.compareAndTransition(Door.RUNNING, Door.OPEN)).isInstanceOf(IllegalStateException.class);
        assertThat(door.current()).isEqualTo(Door.RUNNING);
    }
}
