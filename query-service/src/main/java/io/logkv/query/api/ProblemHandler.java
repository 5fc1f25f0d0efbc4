package io.logkv.query.api;

import io.logkv.materializer.ReplicaOverloadedException;
import io.logkv.materializer.ReplicaUnavailableException;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.AsyncFailures;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.NamespaceConflictException;
import io.logkv.writer.NotOwnerException;
import io.logkv.writer.PreconditionFailedException;
import io.logkv.writer.UnsafeTruthTopicException;
import io.logkv.writer.WriteFailedException;
import io.logkv.writer.WriterOverloadedException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every failure into an RFC 9457 problem: LogKV's own problems as they are, Spring's (unknown
 * route, wrong method, unreadable body) with a problem type, and failures of Kafka or of the node into a
 * 503 with {@code Retry-After}, because they are worth retrying and say nothing wrong about the request.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler({CompletionException.class, ExecutionException.class})
    ResponseEntity<Object> unwrap(Exception wrapper, WebRequest request) throws Exception {
        Throwable cause = wrapper.getCause();
        if (cause instanceof Exception exception) {
            return handle(exception, request);
        }
        return problem(internal(wrapper));
    }

    /** Spring's handler would answer a bare 503; LogKV's says why and when to retry. */
    @Override
    protected ResponseEntity<Object> handleAsyncRequestTimeoutException(AsyncRequestTimeoutException exception,
                                                                       HttpHeaders headers, HttpStatusCode status,
                                                                       WebRequest request) {
        return problem(asProblem(exception));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> handle(Exception exception, WebRequest request) throws Exception {
        // Spring's own exceptions (unknown route, 405, unreadable body) reach handleException() instead.
        if (exception instanceof CompletionException || exception instanceof ExecutionException) {
            return unwrap(exception, request);
        }
        ApiProblem problem = asProblem(exception);
        if (problem != null) {
            return problem(problem);
        }
        return problem(internal(exception));
    }

    /**
     * The problem a failure is answered with, for answers written outside Spring MVC ({@link KeyEndpoint}):
     * LogKV's own problems as they are, failures of Kafka or of the node as 503, anything else as a logged 500.
     */
    public static ApiProblem problemOf(Throwable failure) {
        Throwable cause = AsyncFailures.cause(failure);
        ApiProblem problem = cause instanceof Exception exception ? asProblem(exception) : null;
        return problem != null ? problem : internal(cause);
    }

    private static ApiProblem asProblem(Exception exception) {
        if (exception instanceof ApiProblem problem) {
            return problem;
        }
        if (exception instanceof org.apache.tomcat.util.http.InvalidParameterException) {
            // A query string or form body the container cannot parse (bad percent-encoding, an empty name).
            return ApiProblem.badRequest("bad-request", "the request's parameters are malformed: " + exception.getMessage());
        }
        if (exception instanceof WriterOverloadedException || exception instanceof ReplicaOverloadedException) {
            return ApiProblem.unavailable("overloaded", "Overloaded", exception.getMessage(), Duration.ofSeconds(1));
        }
        if (exception instanceof WriteFailedException failed) {
            return ApiProblem.unavailable(failed.outcomeUnknown() ? "write-outcome-unknown" : "write-failed",
                    "Write not acknowledged", failed.getMessage()
                            + (failed.outcomeUnknown() ? " (the write may still have been applied)" : ""), Duration.ofSeconds(1));
        }
        if (exception instanceof KafkaUnavailableException || exception instanceof org.apache.kafka.common.KafkaException) {
            return ApiProblem.unavailable("log-unavailable", "Log unavailable", exception.getMessage(), Duration.ofSeconds(2));
        }
        if (exception instanceof ReplicaUnavailableException) {
            return ApiProblem.unavailable("replica-unavailable", "Replica unavailable", exception.getMessage(), Duration.ofSeconds(1));
        }
        if (exception instanceof PreconditionFailedException failed) {
            ApiProblem problem = new ApiProblem(HttpStatus.PRECONDITION_FAILED, "precondition-failed", "Precondition failed",
                    failed.getMessage());
            return failed.current() == null ? problem : problem.withHeader("ETag", "\"" + failed.current().text() + "\"");
        }
        if (exception instanceof UnsafeTruthTopicException) {
            return ApiProblem.unavailable("unsafe-namespace", "Namespace not served", exception.getMessage(), Duration.ofSeconds(30));
        }
        if (exception instanceof AsyncRequestTimeoutException) {
            return ApiProblem.unavailable("overloaded", "Timed out", "the request took longer than the node allows", Duration.ofSeconds(1));
        }
        if (exception instanceof NotOwnerException) {
            return ApiProblem.unavailable("no-owner", "No owner", exception.getMessage(), Duration.ofSeconds(1));
        }
        if (exception instanceof NamespaceConflictException) {
            return new ApiProblem(HttpStatus.CONFLICT, "namespace-conflict", "Namespace conflict", exception.getMessage());
        }
        return null;
    }

    private static ApiProblem internal(Throwable exception) {
        log.error("event=request_failed", exception);
        return new ApiProblem(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Internal error",
                "the node failed to handle the request; it has been logged");
    }

    private static ResponseEntity<Object> problem(ApiProblem problem) {
        HttpHeaders headers = new HttpHeaders();
        problem.headers().forEach(headers::set);
        headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(problem.body(), headers, problem.status());
    }

    /** Gives Spring's own problems (404 route, 405, unreadable body, ...) a type and keeps problem+json. */
    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status,
                                                          WebRequest request) {
        if (body instanceof ProblemDetail detail
                && (detail.getType() == null || "about:blank".equals(detail.getType().toString()))) {
            detail.setType(ApiProblem.typeUri(status.value() == 404 ? "not-found" : status.is5xxServerError() ? "overloaded" : "bad-request"));
        }
        HttpHeaders withType = new HttpHeaders();
        if (headers != null) {
            withType.putAll(headers);
        }
        if (status.value() == 503 && !withType.containsHeader("Retry-After")) {
            withType.set("Retry-After", "1");
        }
        withType.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(body, withType, status);
    }
}
