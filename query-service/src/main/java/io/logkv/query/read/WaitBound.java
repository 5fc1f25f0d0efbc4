package io.logkv.query.read;

import io.logkv.core.ProblemTypes;
import io.logkv.query.config.ReplicaProperties;
import io.logkv.query.problem.ApiProblem;
import java.time.Duration;

/** The {@code wait_ms} of a read: how long its replica may take to catch up (API.md). */
public final class WaitBound {

    private WaitBound() {
    }

    /** The wait a request asks for, the default when it names none; 400 when out of range. */
    public static Duration of(String waitMs, ReplicaProperties replicas) {
        if (waitMs == null) {
            return replicas.defaultWait();
        }
        long millis;
        try {
            millis = Long.parseLong(waitMs);
        } catch (NumberFormatException e) {
            millis = -1;
        }
        if (millis < 0 || millis > replicas.maxWait().toMillis()) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_WAIT, "wait_ms must be a whole number from 0 to " + replicas.maxWait().toMillis());
        }
        return Duration.ofMillis(millis);
    }
}
