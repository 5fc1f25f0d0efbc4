package io.logkv.query.resp;

import io.logkv.core.NamespaceName;
import io.logkv.query.api.ApiProblem;
import io.logkv.query.api.KeyOperations;
import io.logkv.query.api.KeyRequest;
import io.logkv.query.api.NamespaceResolver;
import io.logkv.query.api.ProblemHandler;
import io.logkv.query.admission.QuotaBuckets;
import io.logkv.query.admission.Refusals;
import io.logkv.query.api.RequestTokens;
import io.logkv.query.security.ApiKeys;
import io.logkv.query.security.Caller;
import io.logkv.query.security.CallerAuthentication;
import io.logkv.query.security.Right;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 * The commands of the Redis-protocol endpoint, each run as the HTTP API's request for one key
 * ({@link KeyOperations} through a {@link KeyRequest}), so that both fronts share every rule: key and value
 * limits, conditions, routing to the owner and the replicas, tokens and their waits. Answers become RESP
 * replies; a problem becomes an error reply whose code is its type in capitals ({@code -NOT-CAUGHT-UP ...}).
 *
 * <p>A connection is a session: every answer's token is merged into the connection's, and its reads send
 * that token, so a connection reads its own writes by default (docs/api.md, "Redis protocol").
 */
final class RespCommands {

    static final RedisMessage OK = new SimpleStringRedisMessage("OK");
    private static final List<String> LEVELS = List.of("eventual", "session", "strong");

    private final KeyOperations keys;
    private final NamespaceResolver namespaces;
    private final RequestTokens tokens;
    private final ApiKeys apiKeys;
    private final boolean secured;
    private final ObjectMapper json;
    private final QuotaBuckets quotas;
    private final Refusals refusals;

    /**
     * @param apiKeys the keys {@code AUTH} accepts
     * @param secured whether a connection must authenticate before it touches keys (the node's security mode)
     * @param quotas  the rates per client and namespace, charged as HTTP requests are
     */
    RespCommands(KeyOperations keys, NamespaceResolver namespaces, RequestTokens tokens, ApiKeys apiKeys, boolean secured,
                 ObjectMapper json, QuotaBuckets quotas, Refusals refusals) {
        this.quotas = quotas;
        this.refusals = refusals;
        this.keys = keys;
        this.namespaces = namespaces;
        this.tokens = tokens;
        this.apiKeys = apiKeys;
        this.secured = secured;
        this.json = json;
    }

    /**
     * Whether later commands of the connection must wait for this one: writes (a read after a write on one
     * connection sees it, and two writes of one connection apply in the order sent) and commands that read or
     * change the connection's own state.
     */
    static boolean isBarrier(String command) {
        return switch (command) {
            case "SET", "DEL", "UNLINK", "LOGKV.TOKEN", "LOGKV.NAMESPACE", "SELECT", "AUTH" -> true;
            default -> false;
        };
    }

    /** Runs one command; the future holds its reply (never fails). */
    CompletableFuture<RedisMessage> run(RespSession session, String command, List<byte[]> args) {
        try {
            return switch (command) {
                case "PING" -> done(args.isEmpty() ? new SimpleStringRedisMessage("PONG") : bulk(args.get(0)));
                case "ECHO" -> done(arity(args, 1, 1, command) ? bulk(args.get(0)) : null);
                case "AUTH" -> done(auth(session, args));
                case "SELECT" -> done(select(args));
                case "LOGKV.NAMESPACE" -> done(namespace(session, args));
                case "LOGKV.CONSISTENCY" -> done(consistency(session, args));
                case "LOGKV.TOKEN" -> done(token(session, args));
                case "GET" -> arity(args, 1, 1, command) ? get(session, args.get(0)) : null;
                case "MGET" -> arity(args, 1, Integer.MAX_VALUE, command) ? mget(session, args) : null;
                case "EXISTS" -> arity(args, 1, Integer.MAX_VALUE, command) ? exists(session, args) : null;
                case "SET" -> set(session, args);
                case "DEL", "UNLINK" -> arity(args, 1, Integer.MAX_VALUE, command) ? del(session, args) : null;
                case "CLIENT" -> done(client(args));
                case "COMMAND" -> done(ArrayRedisMessage.EMPTY_INSTANCE);
                case "CONFIG" -> done(ArrayRedisMessage.EMPTY_INSTANCE);
                default -> done(error("ERR unknown command '" + printable(command) + "'"));
            };
        } catch (ApiProblem problem) {
            return done(error(problem));
        } catch (RespError wrong) {
            return done(error(wrong.getMessage()));
        }
    }

    private CompletableFuture<RedisMessage> get(RespSession session, byte[] key) {
        return read(session, "GET", key).thenApply(answer -> answer.problem() != null
                ? answer.problem().type().equals("key-not-found") ? FullBulkStringRedisMessage.NULL_INSTANCE : error(answer.problem())
                : bulk(answer.body()));
    }

    private CompletableFuture<RedisMessage> mget(RespSession session, List<byte[]> keyList) {
        List<CompletableFuture<RedisMessage>> each = new ArrayList<>(keyList.size());
        for (byte[] key : keyList) {
            each.add(read(session, "GET", key).thenApply(answer -> answer.problem() == null ? bulk(answer.body())
                    : answer.problem().type().equals("key-not-found") ? FullBulkStringRedisMessage.NULL_INSTANCE : error(answer.problem())));
        }
        return all(each).thenApply(replies -> {
            for (RedisMessage reply : replies) {
                if (reply instanceof ErrorRedisMessage failed) {
                    replies.forEach(io.netty.util.ReferenceCountUtil::release);
                    return new ErrorRedisMessage(failed.content());
                }
            }
            return new ArrayRedisMessage(replies);
        });
    }

    private CompletableFuture<RedisMessage> exists(RespSession session, List<byte[]> keyList) {
        List<CompletableFuture<Answer>> each = new ArrayList<>(keyList.size());
        for (byte[] key : keyList) {
            each.add(read(session, "HEAD", key));
        }
        return all(each).thenApply(answers -> {
            long found = 0;
            for (Answer answer : answers) {
                if (answer.problem() == null) {
                    found++;
                } else if (!answer.problem().type().equals("key-not-found")) {
                    return error(answer.problem());
                }
            }
            return new IntegerRedisMessage(found);
        });
    }

    /** {@code SET key value [EX seconds | PX milliseconds] [NX | XX]}; PX is rounded up to whole seconds. */
    private CompletableFuture<RedisMessage> set(RespSession session, List<byte[]> args) {
        if (args.size() < 2) {
            throw wrongArity("SET");
        }
        Map<String, String> parameters = new TreeMap<>();
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        boolean conditional = false;
        for (int i = 2; i < args.size(); i++) {
            String option = text(args.get(i)).toUpperCase(Locale.ROOT);
            switch (option) {
                case "EX", "PX" -> {
                    if (i + 1 >= args.size() || parameters.containsKey("ttl")) {
                        throw new RespError("ERR syntax error");
                    }
                    long amount = positive(text(args.get(++i)));
                    // Times to live are whole seconds (as over HTTP): PX is rounded up to the next second.
                    parameters.put("ttl", (option.equals("EX") ? amount : (amount + 999) / 1000) + "s");
                }
                case "NX", "XX" -> {
                    if (conditional) {
                        throw new RespError("ERR syntax error");
                    }
                    conditional = true;
                    headers.put(option.equals("NX") ? HttpHeaders.IF_NONE_MATCH : HttpHeaders.IF_MATCH, "*");
                }
                default -> throw new RespError("ERR syntax error");
            }
        }
        boolean onlyIf = conditional;
        return write(session, "PUT", args.get(0), parameters, headers, args.get(1)).thenApply(answer -> answer.problem() == null ? OK
                : onlyIf && answer.problem().type().equals("precondition-failed") ? FullBulkStringRedisMessage.NULL_INSTANCE
                : error(answer.problem()));
    }

    /** {@code DEL key...}: how many of the keys held a value (each is deleted only if it does: {@code If-Match: *}). */
    private CompletableFuture<RedisMessage> del(RespSession session, List<byte[]> keyList) {
        List<CompletableFuture<Answer>> each = new ArrayList<>(keyList.size());
        for (byte[] key : keyList) {
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.put(HttpHeaders.IF_MATCH, "*");
            each.add(write(session, "DELETE", key, Map.of(), headers, null));
        }
        return all(each).thenApply(answers -> {
            long deleted = 0;
            for (Answer answer : answers) {
                if (answer.problem() == null) {
                    deleted++;
                } else if (!answer.problem().type().equals("precondition-failed")) {
                    return error(answer.problem());
                }
            }
            return new IntegerRedisMessage(deleted);
        });
    }

    private CompletableFuture<Answer> read(RespSession session, String method, byte[] key) {
        Map<String, String> parameters = new TreeMap<>();
        String level = session.consistency();
        if (level != null) {
            parameters.put("consistency", level);
        }
        return call(session, Right.READ, key, method, parameters, new TreeMap<>(String.CASE_INSENSITIVE_ORDER), null);
    }

    private CompletableFuture<Answer> write(RespSession session, String method, byte[] key, Map<String, String> parameters,
                                            Map<String, String> headers, byte[] value) {
        return call(session, Right.WRITE, key, method, parameters, headers, value);
    }

    /** One key request, as the connection's caller, with the connection's token; its token is merged into the connection's. */
    private CompletableFuture<Answer> call(RespSession session, Right right, byte[] key, String method, Map<String, String> parameters,
                                           Map<String, String> headers, byte[] value) {
        String namespace = session.namespace();
        CallerAuthentication caller = authorized(session, namespace, right);
        String client = session.client();
        if (quotas.enabled()) {
            QuotaBuckets.Refusal refusal = quotas.charge(client, namespace, right == Right.READ ? QuotaBuckets.Operation.READ
                    : QuotaBuckets.Operation.WRITE, 1);
            if (refusal != null) {
                return CompletableFuture.completedFuture(Answer.of(refusals.overQuota(refusal)));
            }
        }
        String token = session.token();
        if (token != null) {
            headers.put(KeyOperations.TOKEN_HEADER, token);
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
            Answer outcome = failure != null ? Answer.of(ProblemHandler.problemOf(failure)) : Answer.of(entity, json);
            if (outcome.token() != null) {
                merge(session, namespace, outcome.token());
            }
            return outcome;
        });
    }

    /** Merges a token an answer carried into the connection's. */
    private void merge(RespSession session, String namespace, String answered) {
        synchronized (session) {
            String current = session.token();
            session.token(current == null ? answered
                    : tokens.text(tokens.of(List.of(current, answered), new NamespaceName(namespace))));
        }
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
        CallerAuthentication authenticated = session.caller();
        if (authenticated == null) {
            throw new RespError("NOAUTH Authentication required: AUTH with an API key");
        }
        Caller caller = authenticated.caller();
        if (!caller.grants().allows(namespace, right)) {
            throw new RespError("NOPERM '" + caller.name() + "' may not " + right.name().toLowerCase(Locale.ROOT) + " keys of '"
                    + namespace + "' (its grants: " + caller.grants().text() + ")");
        }
        return authenticated;
    }

    /** {@code AUTH key} or {@code AUTH name key}: the key is one of logkv.security.api-keys (the name is not checked). */
    private RedisMessage auth(RespSession session, List<byte[]> args) {
        if (args.isEmpty() || args.size() > 2) {
            throw wrongArity("AUTH");
        }
        CallerAuthentication found = apiKeys.callerOf(text(args.get(args.size() - 1)));
        if (found == null) {
            return error("WRONGPASS the API key is not one this node knows");
        }
        session.caller(found);
        return OK;
    }

    /** Numbered databases do not exist; 0 is accepted (clients send it) and changes nothing. */
    private static RedisMessage select(List<byte[]> args) {
        if (args.size() != 1) {
            throw wrongArity("SELECT");
        }
        return text(args.get(0)).equals("0") ? OK
                : error("ERR LogKV has namespaces, not numbered databases: switch with LOGKV.NAMESPACE <name>");
    }

    /** {@code LOGKV.NAMESPACE [name]}: the connection's namespace, or a switch to another that exists. */
    private RedisMessage namespace(RespSession session, List<byte[]> args) {
        if (args.isEmpty()) {
            return bulk(session.namespace().getBytes(StandardCharsets.UTF_8));
        }
        if (args.size() != 1) {
            throw wrongArity("LOGKV.NAMESPACE");
        }
        String name = text(args.get(0));
        namespaces.resolve(name);
        session.namespace(name);
        return OK;
    }

    /** {@code LOGKV.CONSISTENCY [eventual|session|strong|default]}: what the connection's reads ask for. */
    private static RedisMessage consistency(RespSession session, List<byte[]> args) {
        if (args.isEmpty()) {
            String level = session.consistency();
            return bulk((level == null ? "default" : level).getBytes(StandardCharsets.UTF_8));
        }
        if (args.size() != 1) {
            throw wrongArity("LOGKV.CONSISTENCY");
        }
        String level = text(args.get(0)).toLowerCase(Locale.ROOT);
        if (level.equals("default")) {
            session.consistency(null);
        } else if (LEVELS.contains(level)) {
            session.consistency(level);
        } else {
            return error("BAD-CONSISTENCY consistency must be eventual, session, strong or default");
        }
        return OK;
    }

    /**
     * {@code LOGKV.TOKEN}: the connection's token (a null reply before it has one), the same text as
     * {@code KV-Token} over HTTP; {@code LOGKV.TOKEN token}: merges a token from elsewhere (another connection, an
     * HTTP answer, another region) into the connection's, so that its reads see at least what that token covers.
     */
    private RedisMessage token(RespSession session, List<byte[]> args) {
        if (args.isEmpty()) {
            String token = session.token();
            return token == null ? FullBulkStringRedisMessage.NULL_INSTANCE : bulk(token.getBytes(StandardCharsets.UTF_8));
        }
        if (args.size() != 1) {
            throw wrongArity("LOGKV.TOKEN");
        }
        String namespace = session.namespace();
        String given = tokens.text(tokens.of(List.of(text(args.get(0))), new NamespaceName(namespace)));
        merge(session, namespace, given);
        return OK;
    }

    /** {@code CLIENT SETNAME}/{@code SETINFO} (sent by client libraries) are accepted and ignored. */
    private static RedisMessage client(List<byte[]> args) {
        String sub = args.isEmpty() ? "" : text(args.get(0)).toUpperCase(Locale.ROOT);
        return sub.equals("SETNAME") || sub.equals("SETINFO") ? OK : error("ERR unknown subcommand for CLIENT: '" + printable(sub) + "'");
    }

    static RedisMessage error(ApiProblem problem) {
        String retry = problem.headers().get(HttpHeaders.RETRY_AFTER);
        return error(problem.type().toUpperCase(Locale.ROOT) + " " + oneLine(problem.getMessage())
                + (retry == null ? "" : " (retry after " + retry + " s)"));
    }

    static RedisMessage error(String text) {
        return new ErrorRedisMessage(oneLine(text));
    }

    private static RedisMessage bulk(byte[] bytes) {
        return new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(bytes));
    }

    private static CompletableFuture<RedisMessage> done(RedisMessage reply) {
        return CompletableFuture.completedFuture(reply);
    }

    private static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> each) {
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<T> results = new ArrayList<>(each.size());
            each.forEach(f -> results.add(f.join()));
            return results;
        });
    }

    private static boolean arity(List<byte[]> args, int min, int max, String command) {
        if (args.size() < min || args.size() > max) {
            throw wrongArity(command);
        }
        return true;
    }

    private static RespError wrongArity(String command) {
        return new RespError("ERR wrong number of arguments for '" + command.toLowerCase(Locale.ROOT) + "' command");
    }

    private static long positive(String number) {
        try {
            long value = Long.parseLong(number);
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new RespError("ERR invalid expire time in 'set' command");
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String printable(String text) {
        String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Error replies are one line. */
    private static String oneLine(String text) {
        return text == null ? "" : text.replace('\r', ' ').replace('\n', ' ');
    }

    /** A reply that is an error, raised where the command is checked. */
    static final class RespError extends RuntimeException {
        RespError(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * What a key request answered: its body and token when it succeeded, else its problem.
     *
     * @param body    the value (for a read), or null
     * @param problem the problem, or null when the request succeeded
     * @param token   the {@code KV-Token} it carried, or null
     */
    record Answer(byte[] body, ApiProblem problem, String token) {

        /** A problem, with the token it carries (a key found absent still says where it was read). */
        static Answer of(ApiProblem problem) {
            return new Answer(null, problem, problem.headers().get(KeyOperations.TOKEN_HEADER));
        }

        static Answer of(ResponseEntity<?> entity, ObjectMapper json) {
            String token = entity.getHeaders().getFirst(KeyOperations.TOKEN_HEADER);
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
