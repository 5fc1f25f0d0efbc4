package io.logkv.query.resp;

import io.logkv.query.problem.ApiProblem;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;

/** RESP replies as the endpoint writes them, and the checks of a command's words that answer with one. */
final class RespReplies {

    static final RedisMessage OK = new SimpleStringRedisMessage("OK");

    private RespReplies() {
    }

    static RedisMessage error(ApiProblem problem) {
        String retry = problem.headers().get(HttpHeaders.RETRY_AFTER);
        return error(problem.type().toUpperCase(Locale.ROOT) + " " + oneLine(problem.getMessage())
                + (retry == null ? "" : " (retry after " + retry + " s)"));
    }

    static RedisMessage error(String text) {
        return new ErrorRedisMessage(oneLine(text));
    }

    static RedisMessage bulk(byte[] bytes) {
        return new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(bytes));
    }

    static CompletableFuture<RedisMessage> done(RedisMessage reply) {
        return CompletableFuture.completedFuture(reply);
    }

    static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> each) {
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<T> results = new ArrayList<>(each.size());
            each.forEach(f -> results.add(f.join()));
            return results;
        });
    }

    static boolean arity(List<byte[]> args, int min, int max, String command) {
        if (args.size() < min || args.size() > max) {
            throw wrongArity(command);
        }
        return true;
    }

    static RespError wrongArity(String command) {
        return new RespError("ERR wrong number of arguments for '" + command.toLowerCase(Locale.ROOT) + "' command");
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static String printable(String text) {
        String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Error replies are one line. */
    static String oneLine(String text) {
        return text == null ? "" : text.replace('\r', ' ').replace('\n', ' ');
    }

    /** A reply that is an error, raised where the command is checked. */
    static final class RespError extends RuntimeException {
        RespError(String message) {
            super(message, null, false, false);
        }
    }
}
