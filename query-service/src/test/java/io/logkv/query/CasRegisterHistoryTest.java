package io.logkv.query;

import io.logkv.query.CasRegisterHistory.Outcome;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CasRegisterHistoryTest {

    @Test
    void sequentialCompareAndSetsAreLinearizable() {
        CasRegisterHistory history = new CasRegisterHistory();
        history.compareAndSet(null, "v1", Outcome.OK, 0, 1);
        history.read("v1", 2, 3);
        history.compareAndSet("v1", "v2", Outcome.OK, 4, 5);
        history.compareAndSet("v1", "v3", Outcome.FAILED, 6, 7);
        assertThat(history.isLinearizable(null)).isTrue();
    }

    @Test
    void aLostUpdateIsNotLinearizable() {
        CasRegisterHistory history = new CasRegisterHistory();
        history.compareAndSet(null, "v1", Outcome.OK, 0, 1);
        history.compareAndSet("v1", "v2", Outcome.OK, 2, 5);
        history.compareAndSet("v1", "v3", Outcome.OK, 3, 6); // both consumed v1
        assertThat(history.isLinearizable(null)).isFalse();
    }

    @Test
    void aStaleReadAfterAnAcknowledgedWriteIsNotLinearizable() {
        CasRegisterHistory history = new CasRegisterHistory();
        history.compareAndSet(null, "v1", Outcome.OK, 0, 1);
        history.compareAndSet("v1", "v2", Outcome.OK, 2, 3);
        history.read("v1", 4, 5);
        assertThat(history.isLinearizable(null)).isFalse();
    }

    @Test
    void concurrentOperationsMayTakeEffectInEitherOrder() {
        CasRegisterHistory history = new CasRegisterHistory();
        history.compareAndSet(null, "v1", Outcome.OK, 0, 10);
        history.read(null, 1, 9);
        history.read("v1", 2, 8);
        assertThat(history.isLinearizable(null)).isTrue();
    }

    @Test
    void anUnknownOutcomeMayHaveHappenedOrNot() {
        CasRegisterHistory happened = new CasRegisterHistory();
        happened.compareAndSet(null, "v1", Outcome.UNKNOWN, 0, 1);
        happened.read("v1", 2, 3);
        assertThat(happened.isLinearizable(null)).isTrue();

        CasRegisterHistory didNot = new CasRegisterHistory();
        didNot.compareAndSet(null, "v1", Outcome.UNKNOWN, 0, 1);
        didNot.read(null, 2, 3);
        assertThat(didNot.isLinearizable(null)).isTrue();
    }
}
