package io.logkv.query.resp;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of the Redis-protocol endpoint. Commands start in the order they arrive and their
 * replies leave in that order, however their work completes. A command starts at once unless an earlier
 * command of the connection is a write (or changes the connection's state) that has not completed: then it
 * starts when that one has, so a connection reads its own writes and its writes apply in the order sent,
 * while its reads run side by side. At {@code maxPipelined} commands in progress the node stops reading from
 * the connection until replies have gone out, so a client that pipelines without reading cannot grow the
 * node's memory.
 */
final class RespConnection extends SimpleChannelInboundHandler<RedisMessage> {

    private static final Logger log = LoggerFactory.getLogger(RespConnection.class);
    /** Commands whose timers carry their own name; others are counted as "other" (names are the client's to choose). */
    private static final Set<String> NAMED = Set.of("PING", "ECHO", "AUTH", "SELECT", "GET", "MGET", "EXISTS", "SET", "DEL", "UNLINK",
            "CLIENT", "COMMAND", "CONFIG", "QUIT", "LOGKV.NAMESPACE", "LOGKV.CONSISTENCY", "LOGKV.TOKEN");

    private final RespCommands commands;
    private final String namespace;
    private RespSession session;
    private final int maxPipelined;
    private final long commandTimeoutMs;
    private final MeterRegistry meters;
    private final Map<String, CommandTimers> timers;
    private final ArrayDeque<CompletableFuture<RedisMessage>> replies = new ArrayDeque<>();
    private CompletableFuture<?> barrier = CompletableFuture.completedFuture(null);
    private boolean quitting;

    RespConnection(RespCommands commands, String namespace, int maxPipelined, Duration commandTimeout, MeterRegistry meters,
                   Map<String, CommandTimers> timers) {
        super(true);
        this.commands = commands;
        this.namespace = namespace;
        this.maxPipelined = maxPipelined;
        this.commandTimeoutMs = commandTimeout.toMillis();
        this.meters = meters;
        this.timers = timers;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        java.net.SocketAddress remote = ctx.channel().remoteAddress();
        session = new RespSession(namespace, remote instanceof java.net.InetSocketAddress address
                ? address.getAddress().getHostAddress() : String.valueOf(remote));
        super.channelActive(ctx);
    }

    /** Whether the connection has authenticated (with {@code AUTH}); asked on its event loop. */
    boolean authenticated() {
        return session != null && session.caller() != null;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, RedisMessage message) {
        if (quitting) {
            return;
        }
        List<byte[]> args = arguments(message);
        if (args == null) {
            ctx.writeAndFlush(RespReplies.error("ERR Protocol error: a command is an array of bulk strings"))
                    .addListener(ChannelFutureListener.CLOSE);
            quitting = true;
            return;
        }
        if (args.isEmpty()) {
            return;
        }
        String command = RespReplies.text(args.get(0)).toUpperCase(Locale.ROOT);
        List<byte[]> rest = args.subList(1, args.size());
        long started = System.nanoTime();
        // The command's reply as the command makes it; what is written is that, or an error when it takes too long.
        CompletableFuture<RedisMessage> own;
        if (command.equals("QUIT")) {
            quitting = true;
            own = CompletableFuture.completedFuture(RespReplies.OK);
        } else if (barrier.isDone()) {
            own = start(command, rest);
        } else {
            own = barrier.handleAsync((ignored, error) -> null, ctx.executor()).thenCompose(ignored -> start(command, rest));
        }
        CompletableFuture<RedisMessage> reply = own.copy().orTimeout(commandTimeoutMs, TimeUnit.MILLISECONDS)
                .exceptionally(RespConnection::failed);
        // A reply holding answer memory that lost to the timeout is never written: its grant goes back when it is made.
        reply.thenAccept(written -> own.thenAccept(made -> {
            if (made instanceof HeldReply held && held != written) {
                held.release();
            }
        }));
        if (RespCommands.isBarrier(command)) {
            barrier = reply;
        }
        replies.add(reply);
        if (replies.size() >= maxPipelined) {
            ctx.channel().config().setAutoRead(false);
        }
        reply.whenComplete((answer, error) -> {
            timer(command, answer).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            if (ctx.executor().inEventLoop()) {
                writeReady(ctx, false);
            } else {
                ctx.executor().execute(() -> writeReady(ctx, true));
            }
        });
    }

    private CompletableFuture<RedisMessage> start(String command, List<byte[]> args) {
        try {
            return commands.run(session, command, args);
        } catch (RuntimeException bug) {
            return CompletableFuture.failedFuture(bug);
        }
    }

    /**
     * Sends the replies that are ready, in order, up to the first that is not, and while the connection takes more:
     * once its outgoing buffer passes Netty's high water mark (a client slow to read), replies wait in their queue,
     * and the node stops reading the connection's commands when that queue is full, so that a client that does not
     * read its replies cannot make the node hold more than its pipeline of them.
     */
    private void writeReady(ChannelHandlerContext ctx, boolean flush) {
        boolean wrote = false;
        while (!replies.isEmpty() && replies.peek().isDone() && (ctx.channel().isWritable() || !ctx.channel().isActive())) {
            RedisMessage next = replies.poll().join();
            if (next instanceof HeldReply held) {
                ctx.write(held.message()).addListener(written -> held.release());
            } else {
                ctx.write(next);
            }
            wrote = true;
        }
        if (wrote && (flush || quitting || !ctx.channel().isWritable())) {
            ctx.flush();
        }
        if (!ctx.channel().config().isAutoRead() && replies.size() <= maxPipelined / 2 && ctx.channel().isWritable() && !quitting) {
            ctx.channel().config().setAutoRead(true);
        }
        if (quitting && replies.isEmpty()) {
            ctx.flush();
            ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            writeReady(ctx, true);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Malformed input (the decoder refused it) or a failed socket: say why when the connection still works, then close.
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(RespReplies.error("ERR Protocol error: " + rootMessage(cause))).addListener(ChannelFutureListener.CLOSE);
        }
        quitting = true;
        log.debug("event=resp_connection_failed remote={}", ctx.channel().remoteAddress(), cause);
    }

    private static RedisMessage failed(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TimeoutException) {
            return RespReplies.error("TIMEOUT the command took longer than logkv.resp.command-timeout");
        }
        log.error("event=resp_command_failed", cause);
        return RespReplies.error("INTERNAL the node failed to handle the command; it has been logged");
    }

    private Timer timer(String command, RedisMessage answer) {
        CommandTimers named = timers.computeIfAbsent(NAMED.contains(command) ? command : "other", name -> new CommandTimers(
                commandTimer(name, "ok"), commandTimer(name, "error")));
        return answer instanceof io.netty.handler.codec.redis.ErrorRedisMessage ? named.error() : named.ok();
    }

    private Timer commandTimer(String name, String outcome) {
        return Timer.builder("logkv.resp.commands")
                .description("Commands of the Redis-protocol endpoint, from arrival to reply ready")
                .tag("command", name).tag("outcome", outcome).register(meters);
    }

    /** The timers of one command name, by outcome. */
    record CommandTimers(Timer ok, Timer error) {
    }

    /** A command's words; null when the message is not a command (an array of bulk strings, or an inline command). */
    private static List<byte[]> arguments(RedisMessage message) {
        if (message instanceof InlineCommandRedisMessage inline) {
            List<byte[]> words = new ArrayList<>();
            for (String word : inline.content().trim().split("\\s+")) {
                if (!word.isEmpty()) {
                    words.add(word.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            return words;
        }
        if (message instanceof ArrayRedisMessage array && !array.isNull()) {
            List<byte[]> words = new ArrayList<>(array.children().size());
            for (RedisMessage child : array.children()) {
                if (!(child instanceof FullBulkStringRedisMessage bulk) || bulk.isNull()) {
                    return null;
                }
                ByteBuf content = bulk.content();
                words.add(ByteBufUtil.getBytes(content, content.readerIndex(), content.readableBytes(), true));
            }
            return words;
        }
        return null;
    }

    private static String rootMessage(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage());
    }

    /** Timers shared by every connection of a node. */
    static Map<String, CommandTimers> timers() {
        return new ConcurrentHashMap<>();
    }
}
