package io.logkv.query.resp;

import io.logkv.core.ProblemTypes;
import io.logkv.query.admission.AnswerMemory;
import io.logkv.query.admission.QuotaBuckets;
import io.logkv.query.admission.Refusals;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.keys.KeyOperations;
import io.logkv.query.keys.RequestTokens;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.request.KeyRequest;
import io.logkv.query.security.ApiKeys;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.ObjectMapper;

import static io.logkv.query.resp.RespReplies.OK;
import static io.logkv.query.resp.RespReplies.all;
import static io.logkv.query.resp.RespReplies.arity;
import static io.logkv.query.resp.RespReplies.bulk;
import static io.logkv.query.resp.RespReplies.done;
import static io.logkv.query.resp.RespReplies.error;
import static io.logkv.query.resp.RespReplies.printable;
import static io.logkv.query.resp.RespReplies.text;
import static io.logkv.query.resp.RespReplies.wrongArity;

/**
 * The commands of the Redis-protocol endpoint, each run through the HTTP API's key operations
 * ({@link KeyOperations}: as the request for one key through a {@link KeyRequest}, or, for a read this node
 * serves itself, straight on the read path with the same checks), so that both fronts share every rule: key
 * and value limits, conditions, routing to the owner and the replicas, tokens and their waits. Answers become RESP
 * replies; a problem becomes an error reply whose code is its type in capitals ({@code -NOT-CAUGHT-UP ...}).
 *
 * <p>A connection is a session: every answer's token is merged into the connection's, and its reads send
 * that token, so a connection reads its own writes by default (docs/api.md, "Redis protocol").
 */
final class RespCommands {

    private final KeyCalls calls;
    private final SessionCommands sessionCommands;
    private final long maxAnswerBytes;
    private final AnswerMemory answerMemory;

    /**
     * @param apiKeys the keys {@code AUTH} accepts
     * @param secured whether a connection must authenticate before it touches keys (the node's security mode)
     * @param quotas  the rates per client and namespace, charged as HTTP requests are
     * @param maxAnswerBytes the values one {@code MGET} answers at most, in bytes (one value always)
     * @param answerMemory   the node's room for answers of many keys, which each {@code MGET} is granted its bytes from
     */
    RespCommands(KeyOperations keys, NamespaceResolver namespaces, RequestTokens tokens, ApiKeys apiKeys, boolean secured,
                 ObjectMapper json, QuotaBuckets quotas, Refusals refusals, long maxAnswerBytes, AnswerMemory answerMemory) {
        this.maxAnswerBytes = maxAnswerBytes;
        this.answerMemory = answerMemory;
        this.calls = new KeyCalls(keys, tokens, secured, json, quotas, refusals);
        this.sessionCommands = new SessionCommands(namespaces, tokens, apiKeys, secured);
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
                case "AUTH" -> done(sessionCommands.auth(session, args));
                case "SELECT" -> done(sessionCommands.select(args));
                case "LOGKV.NAMESPACE" -> done(sessionCommands.namespace(session, args));
                case "LOGKV.CONSISTENCY" -> done(sessionCommands.consistency(session, args));
                case "LOGKV.TOKEN" -> done(sessionCommands.token(session, args));
                case "GET" -> arity(args, 1, 1, command) ? get(session, args.get(0)) : null;
                case "MGET" -> arity(args, 1, Integer.MAX_VALUE, command) ? mget(session, args) : null;
                case "EXISTS" -> arity(args, 1, Integer.MAX_VALUE, command) ? exists(session, args) : null;
                case "SET" -> set(session, args);
                case "DEL", "UNLINK" -> arity(args, 1, Integer.MAX_VALUE, command) ? del(session, args) : null;
                case "CLIENT" -> done(sessionCommands.client(args));
                case "COMMAND" -> done(ArrayRedisMessage.EMPTY_INSTANCE);
                case "CONFIG" -> done(ArrayRedisMessage.EMPTY_INSTANCE);
                default -> done(error("ERR unknown command '" + printable(command) + "'"));
            };
        } catch (ApiProblem problem) {
            return done(error(problem));
        } catch (RespReplies.RespError wrong) {
            return done(error(wrong.getMessage()));
        }
    }

    private CompletableFuture<RedisMessage> get(RespSession session, byte[] key) {
        return calls.read(session, "GET", key).thenApply(answer -> answer.absent() ? FullBulkStringRedisMessage.NULL_INSTANCE
                : answer.problem() != null ? error(answer.problem()) : bulk(answer.body()));
    }

    /**
     * {@code MGET}: every key's value, or an error. Values beyond {@code maxAnswerBytes} in all make it an error
     * ({@code -TOO-LARGE}: Redis has no partial answer), and so do values the node's answers have no room for
     * ({@code -OVERLOADED}, {@link AnswerMemory}; the first value read always has); each value past either is let go
     * as soon as it is read. The reply holds its values' room until the connection has written it ({@link HeldReply}).
     */
    private CompletableFuture<RedisMessage> mget(RespSession session, List<byte[]> keyList) {
        AnswerMemory.Grant grant = answerMemory.open();
        List<CompletableFuture<RedisMessage>> each = new ArrayList<>(keyList.size());
        AtomicLong answerBytes = new AtomicLong();
        AtomicBoolean first = new AtomicBoolean(true);
        for (byte[] key : keyList) {
            each.add(calls.read(session, "GET", key).thenApply(answer -> {
                if (answer.absent()) {
                    return FullBulkStringRedisMessage.NULL_INSTANCE;
                }
                if (answer.problem() != null) {
                    return error(answer.problem());
                }
                if (answerBytes.addAndGet(answer.body().length) > maxAnswerBytes && keyList.size() > 1) {
                    return error("TOO-LARGE the values of these keys pass " + maxAnswerBytes
                            + " bytes (logkv.replicas.max-answer-bytes): ask for fewer keys at once");
                }
                if (!grant.take(answer.body().length, first.getAndSet(false))) {
                    return error(ProblemTypes.OVERLOADED.toUpperCase(Locale.ROOT) + " this node's answers of many keys hold all the"
                            + " bytes they may (logkv.shedding.max-answer-bytes-in-flight): ask again, or for fewer keys (retry after 1 s)");
                }
                return bulk(answer.body());
            }));
        }
        return all(each).handle((replies, failure) -> {
            if (failure != null) {
                grant.close();
                throw failure instanceof CompletionException completion ? completion : new CompletionException(failure);
            }
            for (RedisMessage reply : replies) {
                if (reply instanceof ErrorRedisMessage failed) {
                    replies.forEach(io.netty.util.ReferenceCountUtil::release);
                    grant.close();
                    return new ErrorRedisMessage(failed.content());
                }
            }
            return new HeldReply(new ArrayRedisMessage(replies), grant);
        });
    }

    private CompletableFuture<RedisMessage> exists(RespSession session, List<byte[]> keyList) {
        List<CompletableFuture<KeyCalls.Answer>> each = new ArrayList<>(keyList.size());
        for (byte[] key : keyList) {
            each.add(calls.read(session, "HEAD", key));
        }
        return all(each).thenApply(answers -> {
            long found = 0;
            for (KeyCalls.Answer answer : answers) {
                if (answer.absent()) {
                    continue;
                }
                if (answer.problem() != null) {
                    return error(answer.problem());
                }
                found++;
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
                        throw new RespReplies.RespError("ERR syntax error");
                    }
                    long amount = positive(text(args.get(++i)));
                    // Times to live are whole seconds (as over HTTP): PX is rounded up to the next second.
                    parameters.put("ttl", (option.equals("EX") ? amount : (amount + 999) / 1000) + "s");
                }
                case "NX", "XX" -> {
                    if (conditional) {
                        throw new RespReplies.RespError("ERR syntax error");
                    }
                    conditional = true;
                    headers.put(option.equals("NX") ? HttpHeaders.IF_NONE_MATCH : HttpHeaders.IF_MATCH, "*");
                }
                default -> throw new RespReplies.RespError("ERR syntax error");
            }
        }
        boolean onlyIf = conditional;
        return calls.write(session, "PUT", args.get(0), parameters, headers, args.get(1)).thenApply(answer -> answer.problem() == null ? OK
                : onlyIf && answer.problem().type().equals(ProblemTypes.PRECONDITION_FAILED) ? FullBulkStringRedisMessage.NULL_INSTANCE
                : error(answer.problem()));
    }

    /** {@code DEL key...}: how many of the keys held a value (each is deleted only if it does: {@code If-Match: *}). */
    private CompletableFuture<RedisMessage> del(RespSession session, List<byte[]> keyList) {
        List<CompletableFuture<KeyCalls.Answer>> each = new ArrayList<>(keyList.size());
        for (byte[] key : keyList) {
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.put(HttpHeaders.IF_MATCH, "*");
            each.add(calls.write(session, "DELETE", key, Map.of(), headers, null));
        }
        return all(each).thenApply(answers -> {
            long deleted = 0;
            for (KeyCalls.Answer answer : answers) {
                if (answer.problem() == null) {
                    deleted++;
                } else if (!answer.problem().type().equals(ProblemTypes.PRECONDITION_FAILED)) {
                    return error(answer.problem());
                }
            }
            return new IntegerRedisMessage(deleted);
        });
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
        throw new RespReplies.RespError("ERR invalid expire time in 'set' command");
    }
}
