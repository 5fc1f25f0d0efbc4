package io.logkv.query.resp;

import io.logkv.core.ApiHeaders;
import io.logkv.core.NamespaceName;
import io.logkv.core.ProblemTypes;
import io.logkv.core.RecordEnvelope;
import io.logkv.query.admission.QuotaBuckets;
import io.logkv.query.admission.Refusals;
import io.logkv.query.keys.KeyOperations;
import io.logkv.query.keys.RequestTokens;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.FailureProblems;
import io.logkv.query.read.KeyReads;
import io.logkv.query.request.KeyRequest;
import io.logkv.query.security.Caller;
import io.logkv.query.security.CallerAuthentication;
import io.logkv.query.security.Right;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.context.SecurityContextHolder;
import tools.jackson.databind.ObjectMapper;

/**
 * A command's key requests, made as the connection's caller, charged to its client's and namespace's quotas,
 * with the connection's token; every answer's token is merged into the connection's. A read this node serves
 * from its own replica goes straight to the read path ({@link KeyOperations#readServedHere}); every other
 * request is the HTTP API's request for one key ({@link KeyOperations} through a {@link KeyRequest}).
 */
final class KeyCalls {

    private final KeyOperations keys;
    private final RequestTokens tokens;
    private final boolean secured;
    private final ObjectMapper json;
    private final QuotaBuckets quotas;
    private final Refusals refusals;

    /**
     * @param secured whether a connection must authenticate before it touches keys (the node's security mode)
     * @param quotas  the rates per client and namespace, charged as HTTP requests are
     */
    KeyCalls(KeyOperations keys, RequestTokens tokens, boolean secured, ObjectMapper json, QuotaBuckets quotas, Refusals refusals) {
        this.keys = keys;
        this.tokens = tokens;
        this.secured = secured;
        this.json = json;
        this.quotas = quotas;
        this.refusals = refusals;
    }

    /**
     * A read of one key ({@code GET}, or {@code HEAD} for whether it exists). Served by this node's replica, it is
     * made straight on the read path ({@link KeyOperations#readServedHere}); forwarded to another node's, it is made
     * as the HTTP API's request, which that node answers.
     */
    CompletableFuture<Answer> read(RespSession session, String method, byte[] key) {
        String namespace = session.namespace();
        CallerAuthentication caller = authorized(session, namespace, Right.READ);
        String client = session.client();
        Answer refused = overQuota(client, namespace, Right.READ);
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        CompletableFuture<KeyReads.KeyRead> here;
        try {
            here = keys.readServedHere(namespace, key, session.consistency(), session.positions(), client);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Answer.of(FailureProblems.of(e)));
        }
        if (here == null) {
            Map<String, String> parameters = new TreeMap<>();
            String level = session.consistency();
            if (level != null) {
                parameters.put("consistency", level);
            }
            return request(session, namespace, caller, client, key, method, parameters, new TreeMap<>(String.CASE_INSENSITIVE_ORDER), null);
        }
        return here.handle((read, failure) -> {
            if (failure != null) {
                return Answer.of(FailureProblems.of(failure));
            }
            session.merge(read.token());
            RecordEnvelope envelope = read.envelope();
            return envelope == null ? Answer.ABSENT : new Answer(envelope.value(), null, null);
        });
    }

    CompletableFuture<Answer> write(RespSession session, String method, byte[] key, Map<String, String> parameters,
                                            Map<String, String> headers, byte[] value) {
        return call(session, Right.WRITE, key, method, parameters, headers, value);
    }

    /** One key request, as the connection's caller, with the connection's token; its token is merged into the connection's. */
    CompletableFuture<Answer> call(RespSession session, Right right, byte[] key, String method, Map<String, String> parameters,
                                           Map<String, String> headers, byte[] value) {
        String namespace = session.namespace();
        CallerAuthentication caller = authorized(session, namespace, right);
        String client = session.client();
        Answer refused = overQuota(client, namespace, right);
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        return request(session, namespace, caller, client, key, method, parameters, headers, value);
    }

    /** Charges a request to its client's and namespace's rates; the refusal when either is spent, else null. */
    private Answer overQuota(String client, String namespace, Right right) {
        if (!quotas.enabled()) {
            return null;
        }
        QuotaBuckets.Refusal refusal = quotas.charge(client, namespace, right == Right.READ ? QuotaBuckets.Operation.READ
                : QuotaBuckets.Operation.WRITE, 1);
        return refusal == null ? null : Answer.of(refusals.overQuota(refusal));
    }

    /** The key request as the HTTP API takes it, made as {@code caller}; the answer's token is merged into the connection's. */
    private CompletableFuture<Answer> request(RespSession session, String namespace, CallerAuthentication caller, String client, byte[] key,
                                              String method, Map<String, String> parameters, Map<String, String> headers, byte[] value) {
        String token = session.token(tokens::text);
        if (token != null) {
            headers.put(ApiHeaders.TOKEN, token);
        }
        String path = "/v1/namespaces/" + KeyPaths.segment(namespace.getBytes(StandardCharsets.UTF_8)) + "/keys/" + KeyPaths.segment(key);
        KeyRequest request = KeyRequest.of(method, path + KeyPaths.query(parameters), parameters, headers, value, client);
        String rawKey = path.substring(path.lastIndexOf('/') + 1);
        CompletableFuture<ResponseEntity<?>> answer = asCaller(caller, () -> {
            try {
                return switch (method) {
                    case "GET", "HEAD" -> keys.get(namespace, rawKey, request);
                    case "PUT" -> keys.put(namespace, rawKey, request);
                    case "DELETE" -> keys.delete(namespace, rawKey, request);
                    default -> throw new IllegalArgumentException(method);
                };
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
        return answer.handle((entity, failure) -> {
            Answer outcome = failure != null ? Answer.of(FailureProblems.of(failure)) : Answer.of(entity, json);
            if (outcome.token() != null) {
                merge(session, namespace, outcome.token());
            }
            return outcome;
        });
    }

    /** Merges a token an answer carried into the connection's. */
    private void merge(RespSession session, String namespace, String answered) {
        if (answered.equals(session.token(tokens::text))) {
            return; // an answer that moved no position: nothing to parse and merge
        }
        session.merge(tokens.one(answered, new NamespaceName(namespace)));
    }

    /** Runs {@code call} with {@code caller} as the request's caller (forwarded requests carry it to the node that serves them). */
    private static <T> T asCaller(CallerAuthentication caller, Supplier<T> call) {
        if (caller == null) {
            return call.get();
        }
        var context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(caller);
        SecurityContextHolder.setContext(context);
        try {
            return call.get();
        } finally {
            SecurityContextHolder.clearContext();
        }
    }

    private CallerAuthentication authorized(RespSession session, String namespace, Right right) {
        if (!secured) {
            return null;
        }
        CallerAuthentication authenticated = session.authenticatedCaller();
        Caller caller = authenticated.caller();
        if (!caller.grants().allows(namespace, right)) {
            throw new RespReplies.RespError("NOPERM '" + caller.name() + "' may not " + right.name().toLowerCase(Locale.ROOT) + " keys of '"
                    + namespace + "' (its grants: " + caller.grants().text() + ")");
        }
        return authenticated;
    }

    /**
     * What a key request answered: its body and token when it succeeded, else its problem.
     *
     * @param body    the value (for a read), or null
     * @param problem the problem, or null when the request succeeded
     * @param token   the {@code KV-Token} it carried, or null
     */
    record Answer(byte[] body, ApiProblem problem, String token) {

        /** The key holds no live value (read on this node: no problem built for it). */
        static final Answer ABSENT = new Answer(null, null, null);

        /** Whether the key holds no live value. */
        boolean absent() {
            return this == ABSENT || problem != null && problem.type().equals(ProblemTypes.KEY_NOT_FOUND);
        }

        /** A problem, with the token it carries (a key found absent still says where it was read). */
        static Answer of(ApiProblem problem) {
            return new Answer(null, problem, problem.headers().get(ApiHeaders.TOKEN));
        }

        static Answer of(ResponseEntity<?> entity, ObjectMapper json) {
            String token = entity.getHeaders().getFirst(ApiHeaders.TOKEN);
            int status = entity.getStatusCode().value();
            Object body = entity.getBody();
            byte[] bytes = body instanceof byte[] raw ? raw : new byte[0];
            if (status >= 400) {
                // A peer's answer to a request this node forwarded, relayed as it came.
                return new Answer(null, ApiProblem.fromPeer(status, bytes,
                        java.util.Optional.ofNullable(entity.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)), json), token);
            }
            return new Answer(bytes, null, token);
        }
    }
}
