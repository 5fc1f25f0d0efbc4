package io.logkv.query.api;

import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.FailureProblems;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.springframework.http.HttpHeaders;
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

    @ExceptionHandler({CompletionException.class, ExecutionException.class})
    ResponseEntity<Object> unwrap(Exception wrapper, WebRequest request) throws Exception {
        Throwable cause = wrapper.getCause();
        if (cause instanceof Exception exception) {
            return handle(exception, request);
        }
        return problem(FailureProblems.internal(wrapper));
    }

    /** Spring's handler would answer a bare 503; LogKV's says why and when to retry. */
    @Override
    protected ResponseEntity<Object> handleAsyncRequestTimeoutException(AsyncRequestTimeoutException exception,
                                                                       HttpHeaders headers, HttpStatusCode status,
                                                                       WebRequest request) {
        return problem(FailureProblems.known(exception));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> handle(Exception exception, WebRequest request) throws Exception {
        // Spring's own exceptions (unknown route, 405, unreadable body) reach handleException() instead.
        if (exception instanceof CompletionException || exception instanceof ExecutionException) {
            return unwrap(exception, request);
        }
        ApiProblem problem = FailureProblems.known(exception);
        if (problem != null) {
            return problem(problem);
        }
        return problem(FailureProblems.internal(exception));
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
            detail.setType(ApiProblem.typeUri(status.value() == 404 ? ProblemTypes.NOT_FOUND : status.is5xxServerError() ? ProblemTypes.OVERLOADED : ProblemTypes.BAD_REQUEST));
        }
        HttpHeaders withType = new HttpHeaders();
        if (headers != null) {
            withType.putAll(headers);
        }
        if (status.value() == 503 && !withType.containsHeader(HttpHeaders.RETRY_AFTER)) {
            withType.set(HttpHeaders.RETRY_AFTER, "1");
        }
        withType.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(body, withType, status);
    }
}
