package io.logkv.query.api;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ProblemTypes;
import io.logkv.query.admission.AnswerMemory;
import io.logkv.query.admission.Refusals;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.keys.KeyOperations;
import io.logkv.query.path.KeyPath;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.FailureProblems;
import io.logkv.query.read.ForwardedReadBatch;
import io.logkv.query.read.ForwardedReadBatch.Answer;
import io.logkv.query.read.ForwardedReadBatch.Read;
import io.logkv.query.request.KeyRequest;
import io.logkv.query.security.Caller;
import io.logkv.query.security.Right;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * Serves {@value ForwardedReadBatch#PATH}: a batch of reads another node forwarded here ({@link ForwardedReadBatch}). Each read
 * is served exactly as the same read forwarded on its own would be, by {@link KeyOperations}, with its own
 * token, wait and time left; the batch is answered when every read is. Only nodes send these: a request
 * without {@value ApiHeaders#FORWARDED_BY} is refused.
 *
 * <p>The values of a batch take room in the node's answers ({@link AnswerMemory}) as each read completes, like a
 * batch-get's: the first always, the others while there is room; a read with no room left is answered
 * {@code 503 overloaded} on its own, which the sending node passes on to that read's client.
 */
@Component
public class ForwardedReads {

    private final KeyOperations operations;
    private final ObjectMapper json;
    private final AnswerMemory answerMemory;
    private final int maxReads;
    private final Duration retryAfter;

    public ForwardedReads(KeyOperations operations, ObjectMapper json, AnswerMemory answerMemory, LogKvProperties props) {
        this.operations = operations;
        this.json = json;
        this.answerMemory = answerMemory;
        this.maxReads = Math.max(props.replicas().forwardBatchReads(), props.replicas().maxBatchKeys());
        this.retryAfter = props.shedding().retryAfter();
    }

    /** The answer to a batch of forwarded reads; 400 for a body that is not one. */
    CompletableFuture<ResponseEntity<?>> serve(HttpServletRequest request) throws IOException {
        if (!"POST".equals(request.getMethod())) {
            throw new ApiProblem(HttpStatus.METHOD_NOT_ALLOWED, ProblemTypes.BAD_REQUEST, "Method Not Allowed",
                    "Method '" + request.getMethod() + "' is not supported.").withHeader("Allow", "POST");
        }
        String forwardedBy = request.getHeader(ApiHeaders.FORWARDED_BY);
        if (forwardedBy == null) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_FORWARDED_READS, "only nodes send forwarded reads (" + ApiHeaders.FORWARDED_BY + ")");
        }
        List<Read> reads;
        try (InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes(ForwardedReadBatch.MAX_BODY_BYTES + 1);
            if (body.length > ForwardedReadBatch.MAX_BODY_BYTES) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_FORWARDED_READS, "a batch of forwarded reads is at most " + ForwardedReadBatch.MAX_BODY_BYTES + " bytes");
            }
            reads = ForwardedReadBatch.decodeReads(body, maxReads);
        } catch (IllegalArgumentException malformed) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_FORWARDED_READS, "not a batch of forwarded reads: " + malformed.getMessage());
        }
        List<CompletableFuture<Answer>> answers = new ArrayList<>(reads.size());
        boolean authorize = Caller.current() != null;
        AnswerBytes.Budget room = new AnswerBytes.Budget(Long.MAX_VALUE, answerMemory.of(request));
        for (Read read : reads) {
            answers.add(answer(read, forwardedBy, authorize, room));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<Answer> all = new ArrayList<>(answers.size());
            answers.forEach(answer -> all.add(answer.join()));
            return ResponseEntity.ok().contentType(MediaType.parseMediaType(ForwardedReadBatch.MEDIA_TYPE))
                    .body(ForwardedReadBatch.encodeAnswers(all));
        });
    }

    /**
     * One read's answer, as it would be on its own.
     *
     * @param authorize whether each read is authorized for the caller it carries ({@link ApiHeaders#CALLER}): the batch
     *                  itself was authorized for the node that sent it, which reads for many callers
     */
    private CompletableFuture<Answer> answer(Read read, String forwardedBy, boolean authorize, AnswerBytes.Budget room) {
        String pathAndQuery = read.pathAndQuery();
        int queryStart = pathAndQuery.indexOf('?');
        String path = queryStart < 0 ? pathAndQuery : pathAndQuery.substring(0, queryStart);
        CompletableFuture<ResponseEntity<?>> entity;
        try {
            KeyPath key = KeyPath.of(path);
            if (key == null) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_FORWARDED_READS, "not a key's path: " + path);
            }
            Map<String, String> headers = read.headers();
            if (authorize) {
                authorize(headers.get(ApiHeaders.CALLER), key.namespace());
            }
            headers.put(ApiHeaders.FORWARDED_BY, forwardedBy);
            entity = operations.get(key.namespace(), key.rawKey(),
                    KeyRequest.of(pathAndQuery, parameters(queryStart < 0 ? "" : pathAndQuery.substring(queryStart + 1)), headers));
        } catch (RuntimeException e) {
            entity = CompletableFuture.failedFuture(e);
        }
        return entity.handle((answer, error) -> {
            if (error != null) {
                return of(KeyEndpoint.problem(json, path, FailureProblems.of(error)));
            }
            Answer served = of(answer);
            return room.take(served.body().length) ? served
                    : of(KeyEndpoint.problem(json, path, Refusals.answerMemoryFull(retryAfter)));
        });
    }

    /** 403 unless the read's caller (the sending node itself when it names none) may read the namespace. */
    private static void authorize(String callerHeader, String namespace) {
        Caller caller;
        try {
            caller = callerHeader == null ? Caller.current() : Caller.ofHeader(callerHeader);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_FORWARDED_READS, "malformed " + ApiHeaders.CALLER + ": " + e.getMessage());
        }
        if (!caller.grants().allows(namespace, Right.READ)) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, ProblemTypes.FORBIDDEN, "Forbidden", "'" + caller.name() + "' may not read " + namespace);
        }
    }

    private Answer of(ResponseEntity<?> entity) {
        Map<String, String> headers = new LinkedHashMap<>();
        entity.getHeaders().asMultiValueMap().forEach((name, values) -> {
            if (!values.isEmpty()) {
                headers.put(name, values.get(0));
            }
        });
        Object body = entity.getBody();
        byte[] bytes = body == null ? new byte[0] : body instanceof byte[] raw ? raw : json.writeValueAsBytes(body);
        return new Answer(entity.getStatusCode().value(), headers, bytes);
    }

    /** A query string's parameters, decoded; the first value of each. */
    private static Map<String, String> parameters(String query) {
        Map<String, String> parameters = new HashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            try {
                parameters.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException malformed) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_REQUEST, "the query string is malformed: " + malformed.getMessage());
            }
        }
        return parameters;
    }
}
