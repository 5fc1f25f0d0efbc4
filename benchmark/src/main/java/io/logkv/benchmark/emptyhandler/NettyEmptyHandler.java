package io.logkv.benchmark.emptyhandler;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The floor of another server for the read path: Netty's HTTP/1.1 codec answering every GET with a value of the
 * benchmark's size (and a PUT with a small JSON body) on its event loop, doing nothing else. Its figure against
 * Tomcat's plain servlet and Spring MVC's empty handler is what moving key requests to Netty could gain at most
 * (docs/adr/0021). Run on its own: {@code NettyEmptyHandler PORT [VALUE_BYTES]}.
 */
public final class NettyEmptyHandler {

    private static final byte[] WRITTEN = "{\"version\":\"0192f3a1b2c30000a1b2c3d4\",\"token\":\"AQEFbkK1DAE\"}"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private NettyEmptyHandler() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        byte[] value = new byte[args.length > 1 ? Integer.parseInt(args[1]) : 1024];
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(2 * 1024 * 1024),
                                    new Answers(value));
                        }
                    }).bind(port).sync().channel();
            server.closeFuture().sync();
        } finally {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
    }

    /** A GET gets the value; anything else the small JSON a write answers with. */
    private static final class Answers extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final ByteBuf value;
        private final ByteBuf written = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(WRITTEN));

        Answers(byte[] value) {
            this.value = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(value));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
            boolean get = "GET".equals(request.method().name());
            ByteBuf body = (get ? value : written).duplicate();
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, get ? HttpHeaderValues.APPLICATION_OCTET_STREAM : HttpHeaderValues.APPLICATION_JSON);
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (HttpUtil.isKeepAlive(request)) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                context.writeAndFlush(response);
            } else {
                context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
