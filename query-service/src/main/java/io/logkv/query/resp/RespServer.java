package io.logkv.query.resp;

import io.netty.handler.ssl.SslHandler;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.ssl.SslOptions;
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
    private final Duration commandTimeout;
    /** The endpoint's key and certificate when it takes only TLS connections; null for plain TCP. */
    private final SslBundle tls;
    private EventLoopGroup group;
    private Channel listening;

    public RespServer(LogKvProperties props, KeyOperations keys, NamespaceResolver namespaces, RequestTokens tokens, ApiKeys apiKeys,
                      ObjectMapper json, MeterRegistry meters, QuotaBuckets quotas, Refusals refusals,
                      ObjectProvider<SslBundles> sslBundles) {
        this.settings = props.resp();
        // A bundle that does not exist (or does not load) stops the node at start, saying which.
        this.tls = settings.tls() ? sslBundles.getObject().getBundle(settings.sslBundle()) : null;
        this.commands = new RespCommands(keys, namespaces, tokens, apiKeys,
                props.security().mode() == NodeSecurityProperties.SecurityMode.SECURED, json, quotas, refusals);
        this.meters = meters;
        this.maxBulkBytes = Math.max(props.limits().maxValueBytes().toBytes(), props.limits().maxKeyBytes());
        this.maxWords = props.replicas().maxBatchKeys() + MAX_WORDS_SLACK;
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
                        channel.pipeline()
                                .addLast(new RedisDecoder(true))
                                .addLast(new Limits(maxBulkBytes, maxWords))
                                .addLast(new RedisBulkStringAggregator())
                                .addLast(new RedisArrayAggregator())
                                .addLast(new RespEncoder())
                                .addLast(new Admission(connections, settings.maxConnections()))
                                .addLast(new RespConnection(commands, settings.namespace(), settings.maxPipelined(), commandTimeout,
                                        meters, timers));
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
     * Refuses, before they are read whole, values longer than the node takes and commands with more words than
     * any takes: with an error reply, then the connection is closed (what follows on it cannot be read as commands).
     */
    static final class Limits extends ChannelInboundHandlerAdapter {

        private final long maxBulkBytes;
        private final long maxWords;

        Limits(long maxBulkBytes, long maxWords) {
            this.maxBulkBytes = maxBulkBytes;
            this.maxWords = maxWords;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            String refusal = null;
            if (message instanceof BulkStringHeaderRedisMessage header && header.bulkStringLength() > maxBulkBytes) {
                refusal = "VALUE-TOO-LARGE values are at most " + maxBulkBytes + " bytes";
            } else if (message instanceof ArrayHeaderRedisMessage header && header.length() > maxWords) {
                refusal = "ERR Protocol error: a command has at most " + maxWords + " words";
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
