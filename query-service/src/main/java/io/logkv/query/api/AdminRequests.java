package io.logkv.query.api;

import io.logkv.core.ProblemTypes;
import io.logkv.materializer.PositionPassedException;
import io.logkv.materializer.ReplicaUnavailableException;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.read.ReadRouting;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.springframework.http.HttpStatus;

/** What the admin endpoints read from a request (a partition, a position) and how they answer a failure, shared by them. */
final class AdminRequests {

    private AdminRequests() {
    }

    static int partition(ServedNamespace namespace, String text) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 0 && p < namespace.settings().partitions()) {
                return p;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiProblem(HttpStatus.NOT_FOUND, ProblemTypes.PARTITION_NOT_FOUND, "Partition not found",
                namespace.name() + " has partitions 0 to " + (namespace.settings().partitions() - 1) + ", not '" + text + "'");
    }

    static long position(String text) {
        try {
            long position = Long.parseLong(text);
            if (position >= 0) {
                return position;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest(ProblemTypes.BAD_POSITION, "position must be a log offset (a whole number from 0)");
    }

    static ApiProblem asProblem(Throwable error, ServedNamespace namespace, int partition) {
        if (error instanceof ApiProblem problem) {
            return problem;
        }
        if (error instanceof PositionPassedException passed) {
            return new ApiProblem(HttpStatus.CONFLICT, ProblemTypes.POSITION_PASSED, "Position passed", passed.getMessage());
        }
        if (error instanceof TimeoutException) {
            return ApiProblem.unavailable(ProblemTypes.NOT_CAUGHT_UP, "Replica not caught up",
                    "the replica of " + namespace.name() + "-" + partition + " did not reach the position in time", Duration.ofSeconds(1));
        }
        if (error instanceof ReplicaUnavailableException) {
            return ApiProblem.unavailable(ProblemTypes.REPLICA_UNAVAILABLE, "No replica here", error.getMessage(), Duration.ofSeconds(1));
        }
        throw error instanceof RuntimeException runtime ? runtime : new CompletionException(error);
    }
}
