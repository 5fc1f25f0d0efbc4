package io.logkv.query.resp;

import io.netty.handler.ssl.SslHandler;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.ssl.SslOptions;
import io.logkv.query.admission.AnswerMemory;
import io.logkv.query.admission.QuotaBuckets;
import io.logkv.query.admission.Refusals;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.config.NodeSecurityProperties;
import io.logkv.query.config.RespProperties;
import io.logkv.query.keys.KeyOperations;
import io.logkv.query.keys.RequestTokens;
import io.logkv.query.security.ApiKeys;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * The Redis-protocol (RESP2) endpoint, on its own port when {@code logkv.resp.enabled}: Netty's server with
 * its RESP codec in front of {@link RespCommands}. Bounded like the HTTP API: a connection limit, a limit on
 * each connection's commands in progress, a value limit checked before a value is read whole (a larger one
 * closes the connection, as Redis does beyond its bulk limit), and a timeout on every command.
 */
@Component
@ConditionalOnProperty(prefix = "logkv.resp", name = "enabled", havingValue = "true")
public class RespServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RespServer.class);
    /** Words of one command at most: MGET and DEL take as many keys as a batch-get. */
    private static final int MAX_WORDS_SLACK = 16;
    /** Netty's own switch for leak tracking: when the JVM was started with it, it wins over the property. */
    private static final String NETTY_LEAK_DETECTION_PROPERTY = "io.netty.leakDetection.level";

    private final RespProperties settings;
    private final RespCommands commands;
    private final MeterRegistry meters;
    private final Map<String, RespConnection.CommandTimers> timers = RespConnection.timers();
    private final AtomicInteger connections = new AtomicInteger();
    private final long maxBulkBytes;
    private final long maxWords;
    private final long maxCommandBytes;
    private final boolean secured;
    private final Duration commandTimeout;
    /** The endpoint's key and certificate when it takes only TLS connections; null for plain TCP. */
    private final SslBundle tls;
    private EventLoopGroup group;
    private Channel listening;

    public RespServer(LogKvProperties props, KeyOperations keys, NamespaceResolver namespaces, RequestTokens tokens, ApiKeys apiKeys,
                      ObjectMapper json, MeterRegistry meters, QuotaBuckets quotas, Refusals refusals, AnswerMemory answerMemory,
                      ObjectProvider<SslBundles> sslBundles) {
        this.settings = props.resp();
        // A bundle that does not exist (or does not load) stops the node at start, saying which.
        this.tls = settings.tls() ? sslBundles.getObject().getBundle(settings.sslBundle()) : null;
        this.commands = new RespCommands(keys, namespaces, tokens, apiKeys,
                props.security().mode() == NodeSecurityProperties.SecurityMode.SECURED, json, quotas, refusals,
                props.replicas().maxAnswerBytes().toBytes(), answerMemory);
        this.meters = meters;
        this.maxBulkBytes = Math.max(props.limits().maxValueBytes().toBytes(), props.limits().maxKeyBytes());
        this.maxWords = props.replicas().maxBatchKeys() + MAX_WORDS_SLACK;
        // The largest command any takes: a value and its key and options, or as many keys as a batch takes.
        this.maxCommandBytes = maxBulkBytes + maxWords * props.limits().maxKeyBytes();
        this.secured = props.security().mode() == NodeSecurityProperties.SecurityMode.SECURED;
        this.commandTimeout = settings.commandTimeout();
        Gauge.builder("logkv.resp.connections", connections, AtomicInteger::get)
                .description("Connections open on the Redis-protocol endpoint").register(meters);
    }

    @Override
    public synchronized void start() {
        SSLContext sslContext = tls == null ? null : tls.createSslContext();
        if (System.getProperty(NETTY_LEAK_DETECTION_PROPERTY) == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.valueOf(settings.leakDetection().name()));
        }
        group = new MultiThreadIoEventLoopGroup(settings.ioThreads(), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (sslContext != null) {
                            channel.pipeline().addLast(new SslHandler(serverEngine(sslContext)));
                        }
                        RespConnection connection = new RespConnection(commands, settings.namespace(), settings.maxPipelined(),
                                commandTimeout, meters, timers);
                        channel.pipeline()
                                .addLast(new RedisDecoder(true))
                                .addLast(new Limits(maxBulkBytes, maxWords, maxCommandBytes, secured ? connection::authenticated : () -> true))
                                .addLast(new RedisBulkStringAggregator())
                                .addLast(new RedisArrayAggregator())
                                .addLast(new RespEncoder())
                                .addLast(new Admission(connections, settings.maxConnections()))
                                .addLast(connection);
                    }
                });
        try {
            listening = bootstrap.bind(new InetSocketAddress(settings.address(), settings.port())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the Redis-protocol endpoint", e);
        }
        log.info("event=resp_listening address={} port={} namespace={} tls={}", settings.address(), port(), settings.namespace(),
                tls == null ? "off" : "bundle " + settings.sslBundle() + ", client auth " + settings.clientAuth().name().toLowerCase(Locale.ROOT));
    }

    /** A server-side TLS engine with the bundle's protocols and ciphers, if it names any, and the client-auth choice. */
    private SSLEngine serverEngine(SSLContext sslContext) {
        SSLEngine engine = sslContext.createSSLEngine();
        engine.setUseClientMode(false);
        SslOptions options = tls.getOptions();
        if (options.getEnabledProtocols() != null) {
            engine.setEnabledProtocols(options.getEnabledProtocols());
        }
        if (options.getCiphers() != null) {
            engine.setEnabledCipherSuites(options.getCiphers());
        }
        switch (settings.clientAuth()) {
            case NEED -> engine.setNeedClientAuth(true);
            case WANT -> engine.setWantClientAuth(true);
            case NONE -> { }
        }
        return engine;
    }

    /** The port it listens on (the configured one, or the one the system chose for 0). */
    public int port() {
        return listening == null ? settings.port() : ((InetSocketAddress) listening.localAddress()).getPort();
    }

    @Override
    public synchronized void stop() {
        if (listening != null) {
            listening.close().syncUninterruptibly();
            listening = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return listening != null;
    }

    /**
     * Refuses, before they are read whole, values longer than the node takes, commands with more words or more bytes than
     * any takes, commands that are not flat arrays of bulk strings, and, before a connection on a secured node has
     * authenticated, any command longer than {@link #UNAUTHENTICATED_COMMAND_BYTES}: with an error reply, then the
     * connection is closed (what follows on it cannot be read as commands). So a connection makes the node buffer at
     * most one command of the largest size there is, and one that has not said who it is hardly anything.
     */
    static final class Limits extends ChannelInboundHandlerAdapter {

        /** The most a command may carry before the connection has authenticated: enough for {@code AUTH} and {@code HELLO}. */
        static final long UNAUTHENTICATED_COMMAND_BYTES = 16 * 1024;

        private final long maxBulkBytes;
        private final long maxWords;
        private final long maxCommandBytes;
        private final BooleanSupplier authenticated;
        /** Bulk strings still to come in the command being read (0 between commands). */
        private long remaining;
        /** The bytes the bulk strings of the command being read announced so far. */
        private long commandBytes;

        /** @param authenticated whether the connection may send commands of full size */
        Limits(long maxBulkBytes, long maxWords, long maxCommandBytes, BooleanSupplier authenticated) {
            this.maxBulkBytes = maxBulkBytes;
            this.maxWords = maxWords;
            this.maxCommandBytes = maxCommandBytes;
            this.authenticated = authenticated;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            String refusal = null;
            if (message instanceof ArrayHeaderRedisMessage header) {
                refusal = arrayRefusal(header.length());
            } else if (message instanceof BulkStringHeaderRedisMessage header) {
                refusal = bulkRefusal(Math.max(0, header.bulkStringLength()));
            } else if (message instanceof FullBulkStringRedisMessage whole) {
                // An empty or null bulk string ($0, $-1) comes whole, without a header: still a word of the command.
                refusal = bulkRefusal(whole.isNull() ? 0 : whole.content().readableBytes());
            } else if (message instanceof InlineCommandRedisMessage inline) {
                refusal = inlineRefusal(inline.content());
            }
            if (refusal == null) {
                ctx.fireChannelRead(message);
                return;
            }
            ReferenceCountUtil.release(message);
            ctx.channel().config().setAutoRead(false);
            // From the pipeline's tail, through the encoder (which sits after this handler).
            ctx.channel().writeAndFlush(RespReplies.error(refusal)).addListener(ChannelFutureListener.CLOSE);
        }

        private String arrayRefusal(long words) {
            if (remaining > 0) {
                return "ERR Protocol error: a command is an array of bulk strings";
            }
            if (words > maxWords) {
                return "ERR Protocol error: a command has at most " + maxWords + " words";
            }
            remaining = Math.max(0, words);
            commandBytes = 0;
            return null;
        }

        private String bulkRefusal(long length) {
            if (remaining == 0) {
                commandBytes = 0; // a bulk string on its own: not a command (refused after it), but bounded as one
            } else {
                remaining--;
            }
            commandBytes += length;
            if (length > maxBulkBytes) {
                return "VALUE-TOO-LARGE values are at most " + maxBulkBytes + " bytes";
            }
            return sizeRefusal(commandBytes);
        }

        private String inlineRefusal(String content) {
            String refusal = sizeRefusal(content.length());
            if (refusal == null && content.isBlank()) {
                return null;
            }
            return refusal != null ? refusal : content.strip().split("\\s+").length > maxWords
                    ? "ERR Protocol error: a command has at most " + maxWords + " words" : null;
        }

        private String sizeRefusal(long bytes) {
            if (!authenticated.getAsBoolean() && bytes > UNAUTHENTICATED_COMMAND_BYTES) {
                return "NOAUTH Authentication required: a command before AUTH carries at most " + UNAUTHENTICATED_COMMAND_BYTES + " bytes";
            }
            return bytes > maxCommandBytes ? "ERR Protocol error: a command carries at most " + maxCommandBytes + " bytes" : null;
        }
    }

    /** Counts connections; one beyond the limit is told so and closed, as Redis does. */
    @ChannelHandler.Sharable
    static final class Admission extends ChannelInboundHandlerAdapter {

        private final AtomicInteger open;
        private final int max;

        Admission(AtomicInteger open, int max) {
            this.open = open;
            this.max = max;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (open.incrementAndGet() > max) {
                ctx.channel().config().setAutoRead(false);
                ctx.channel().writeAndFlush(RespReplies.error("ERR max number of clients reached")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            open.decrementAndGet();
            super.channelInactive(ctx);
        }
    }
}
