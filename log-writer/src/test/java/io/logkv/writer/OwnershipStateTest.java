package io.logkv.writer;

import static io.logkv.writer.OwnershipState.CATCHING_UP;
import static io.logkv.writer.OwnershipState.CLOSED;
import static io.logkv.writer.OwnershipState.FENCING;
import static io.logkv.writer.OwnershipState.WRITING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logkv.core.Lifecycle;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A partition's writer checks conditions only after it has fenced every earlier writer and caught up with
 * the log, and a closed writer never writes again.
 */
class OwnershipStateTest {

    @Test
    void aWriterWritesOnlyAfterFencingAndCatchingUp() {
        assertThat(successors(FENCING)).containsExactlyInAnyOrder(CATCHING_UP, CLOSED);
        assertThat(successors(CATCHING_UP)).containsExactlyInAnyOrder(WRITING, CLOSED);
    }

    @Test
    void aWritingWriterFencesAgainWhenItsProducerFailedOrCatchesUpAgainWhenTheLogMovedUnderIt() {
        assertThat(successors(WRITING)).containsExactlyInAnyOrder(FENCING, CATCHING_UP, CLOSED);
    }

    @Test
    void aClosedWriterNeverWritesAgainThoughClosingItTwiceIsHarmless() {
        assertThat(successors(CLOSED)).containsExactly(CLOSED);
    }

    @Test
    void everyStateMayClose() {
        for (OwnershipState state : OwnershipState.values()) {
            assertThat(state.mayBecome(CLOSED)).as(state + " may close").isTrue();
        }
    }

    @Test
    void theLifecycleRefusesToSkipTheCatchUp() {
        Lifecycle<OwnershipState> lifecycle = new Lifecycle<>("writer", FENCING);
        assertThatThrownBy(() -> lifecycle.compareAndTransition(FENCING, WRITING)).isInstanceOf(IllegalStateException.class);
        assertThat(lifecycle.current()).isEqualTo(FENCING);
    }

    @Test
    void aWriterClosedWhileItFencedDoesNotGoOnToCatchUp() {
        Lifecycle<OwnershipState> lifecycle = new Lifecycle<>("writer", FENCING);
        lifecycle.transition(CLOSED);
        assertThat(lifecycle.compareAndTransition(FENCING, CATCHING_UP)).isFalse();
        assertThat(lifecycle.current()).isEqualTo(CLOSED);
        assertThatThrownBy(() -> lifecycle.transition(WRITING)).isInstanceOf(IllegalStateException.class);
    }

    private static Set<OwnershipState> successors(OwnershipState from) {
        Set<OwnershipState> next = EnumSet.noneOf(OwnershipState.class);
        for (OwnershipState to : OwnershipState.values()) {
            if (from.mayBecome(to)) {
                next.add(to);
            }
        }
        return next;
    }
}
