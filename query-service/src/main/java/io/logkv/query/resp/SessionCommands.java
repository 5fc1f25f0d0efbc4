package io.logkv.query.resp;

import io.logkv.core.NamespaceName;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.keys.RequestTokens;
import io.logkv.query.security.ApiKeys;
import io.logkv.query.security.CallerAuthentication;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import static io.logkv.query.resp.RespReplies.OK;
import static io.logkv.query.resp.RespReplies.bulk;
import static io.logkv.query.resp.RespReplies.error;
import static io.logkv.query.resp.RespReplies.printable;
import static io.logkv.query.resp.RespReplies.text;
import static io.logkv.query.resp.RespReplies.wrongArity;

/**
 * The commands that read or change what the connection carries ({@link RespSession}): who it is, its
 * namespace, the consistency of its reads, its token; and those client libraries send when they connect.
 */
final class SessionCommands {

    private static final List<String> LEVELS = List.of("eventual", "session", "strong");

    private final NamespaceResolver namespaces;
    private final RequestTokens tokens;
    private final ApiKeys apiKeys;
    private final boolean secured;

    /** @param secured whether a connection must authenticate before it touches keys (the node's security mode) */
    SessionCommands(NamespaceResolver namespaces, RequestTokens tokens, ApiKeys apiKeys, boolean secured) {
        this.namespaces = namespaces;
        this.tokens = tokens;
        this.apiKeys = apiKeys;
        this.secured = secured;
    }

    /** {@code AUTH key} or {@code AUTH name key}: the key is one of logkv.security.api-keys (the name is not checked). */
    RedisMessage auth(RespSession session, List<byte[]> args) {
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
    static RedisMessage select(List<byte[]> args) {
        if (args.size() != 1) {
            throw wrongArity("SELECT");
        }
        return text(args.get(0)).equals("0") ? OK
                : error("ERR LogKV has namespaces, not numbered databases: switch with LOGKV.NAMESPACE <name>");
    }

    /**
     * {@code LOGKV.NAMESPACE [name]}: the connection's namespace, or a switch to another that exists. On a secured node
     * a switch needs a caller with a right in that namespace, asked before whether it exists, so that the answer
     * tells no one without rights there whether it does (as over HTTP).
     */
    RedisMessage namespace(RespSession session, List<byte[]> args) {
        if (args.isEmpty()) {
            return bulk(session.namespace().getBytes(StandardCharsets.UTF_8));
        }
        if (args.size() != 1) {
            throw wrongArity("LOGKV.NAMESPACE");
        }
        String name = text(args.get(0));
        if (secured) {
            CallerAuthentication authenticated = session.authenticatedCaller();
            if (!authenticated.caller().grants().allowsAny(name)) {
                return error("NOPERM '" + authenticated.caller().name() + "' has no right in namespace '" + printable(name) + "'");
            }
        }
        namespaces.resolve(name);
        session.namespace(name);
        return OK;
    }

    /** {@code LOGKV.CONSISTENCY [eventual|session|strong|default]}: what the connection's reads ask for. */
    static RedisMessage consistency(RespSession session, List<byte[]> args) {
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
    RedisMessage token(RespSession session, List<byte[]> args) {
        if (args.isEmpty()) {
            String token = session.token(tokens::text);
            return token == null ? FullBulkStringRedisMessage.NULL_INSTANCE : bulk(token.getBytes(StandardCharsets.UTF_8));
        }
        if (args.size() != 1) {
            throw wrongArity("LOGKV.TOKEN");
        }
        String namespace = session.namespace();
        session.merge(tokens.of(List.of(text(args.get(0))), new NamespaceName(namespace)));
        return OK;
    }

    /** {@code CLIENT SETNAME}/{@code SETINFO} (sent by client libraries) are accepted and ignored. */
    static RedisMessage client(List<byte[]> args) {
        String sub = args.isEmpty() ? "" : text(args.get(0)).toUpperCase(Locale.ROOT);
        return sub.equals("SETNAME") || sub.equals("SETINFO") ? OK : error("ERR unknown subcommand for CLIENT: '" + printable(sub) + "'");
    }
}
