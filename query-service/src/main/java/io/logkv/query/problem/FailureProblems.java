package io.logkv.query.problem;

import io.logkv.core.ProblemTypes;
import io.logkv.materializer.ReplicaOverloadedException;
import io.logkv.materializer.ReplicaUnavailableException;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.NamespaceConflictException;
import io.logkv.writer.NotOwnerException;
import io.logkv.writer.PreconditionFailedException;
import io.logkv.writer.UnsafeTruthTopicException;
import io.logkv.writer.WriteFailedException;
import io.logkv.writer.WriterOverloadedException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;

/**
 * The problem each failure is answered with, wherever the answer is written (Spring MVC's handler, the key
 * endpoint, forwarded reads, the Redis protocol): LogKV's own problems as they are, failures of Kafka or of
 * the node as 503 with {@code Retry-After}, anything else as a logged 500.
 */
public final class FailureProblems {

    private static final Logger log = LoggerFactory.getLogger(FailureProblems.class);

    private FailureProblems() {
    }

    /**
     * The problem a failure is answered with, for answers written outside Spring MVC (the key endpoint, the Redis protocol):
     * LogKV's own problems as they are, failures of Kafka or of the node as 503, anything else as a logged 500.
     */
    public static ApiProblem of(Throwable failure) {
        Throwable cause = AsyncFailures.cause(failure);
        ApiProblem problem = cause instanceof Exception exception ? known(exception) : null;
        return problem != null ? problem : internal(cause);
    }

    /** The problem a known failure is answered with; null for a failure LogKV does not know. */
    public static ApiProblem known(Exception exception) {
        if (exception instanceof ApiProblem problem) {
            return problem;
        }
        if (exception instanceof org.apache.tomcat.util.http.InvalidParameterException) {
            // A query string or form body the container cannot parse (bad percent-encoding, an empty name).
            return ApiProblem.badRequest(ProblemTypes.BAD_REQUEST, "the request's parameters are malformed: " + exception.getMessage());
        }
        if (exception instanceof WriterOverloadedException || exception instanceof ReplicaOverloadedException) {
            return ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Overloaded", exception.getMessage(), Duration.ofSeconds(1));
        }
        if (exception instanceof WriteFailedException failed) {
            return ApiProblem.unavailable(failed.outcomeUnknown() ? ProblemTypes.WRITE_OUTCOME_UNKNOWN : ProblemTypes.WRITE_FAILED,
                    "Write not acknowledged", failed.getMessage()
                            + (failed.outcomeUnknown() ? " (the write may still have been applied)" : ""), Duration.ofSeconds(1));
        }
        if (exception instanceof KafkaUnavailableException || exception instanceof org.apache.kafka.common.KafkaException) {
            return ApiProblem.unavailable(ProblemTypes.LOG_UNAVAILABLE, "Log unavailable", exception.getMessage(), Duration.ofSeconds(2));
        }
        if (exception instanceof ReplicaUnavailableException) {
            return ApiProblem.unavailable(ProblemTypes.REPLICA_UNAVAILABLE, "Replica unavailable", exception.getMessage(), Duration.ofSeconds(1));
        }
        if (exception instanceof PreconditionFailedException failed) {
            ApiProblem problem = new ApiProblem(HttpStatus.PRECONDITION_FAILED, ProblemTypes.PRECONDITION_FAILED, "Precondition failed",
                    failed.getMessage());
            return failed.current() == null ? problem : problem.withHeader(HttpHeaders.ETAG, "\"" + failed.current().text() + "\"");
        }
        if (exception instanceof UnsafeTruthTopicException) {
            return ApiProblem.unavailable(ProblemTypes.UNSAFE_NAMESPACE, "Namespace not served", exception.getMessage(), Duration.ofSeconds(30));
        }
        if (exception instanceof AsyncRequestTimeoutException) {
            return ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Timed out", "the request took longer than the node allows", Duration.ofSeconds(1));
        }
        if (exception instanceof NotOwnerException) {
            return ApiProblem.unavailable(ProblemTypes.NO_OWNER, "No owner", exception.getMessage(), Duration.ofSeconds(1));
        }
        if (exception instanceof NamespaceConflictException) {
            return new ApiProblem(HttpStatus.CONFLICT, ProblemTypes.NAMESPACE_CONFLICT, "Namespace conflict", exception.getMessage());
        }
        return null;
    }

    /** A failure LogKV does not know: logged, and answered 500 without its details. */
    public static ApiProblem internal(Throwable exception) {
        log.error("event=request_failed", exception);
        return new ApiProblem(HttpStatus.INTERNAL_SERVER_ERROR, ProblemTypes.INTERNAL, "Internal error",
                "the node failed to handle the request; it has been logged");
    }
}
