package io.logkv.query.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import java.util.List;

/**
 * Netty's RESP encoder, with the reply of a single-key read written in one buffer: {@code $<length>\r\n<value>\r\n}, the
 * value copied once into memory the socket writes from. Netty's own writes the header and the value as two
 * buffers (the value in the heap, which the socket copies again), and the length through a String.
 */
final class RespEncoder extends RedisEncoder {

    private static final short CRLF = ('\r' << 8) | '\n';

    @Override
    protected void encode(ChannelHandlerContext ctx, RedisMessage message, List<Object> out) throws Exception {
        if (!(message instanceof FullBulkStringRedisMessage bulk) || bulk.isNull()) {
            super.encode(ctx, message, out);
            return;
        }
        ByteBuf content = bulk.content();
        int length = content.readableBytes();
        ByteBuf reply = ctx.alloc().ioBuffer(1 + digits(length) + 2 + length + 2);
        try {
            reply.writeByte('$');
            writeDigits(reply, length);
            reply.writeShort(CRLF);
            reply.writeBytes(content, content.readerIndex(), length);
            reply.writeShort(CRLF);
        } catch (RuntimeException e) {
            reply.release();
            throw e;
        }
        out.add(reply);
    }

    /** How many decimal digits {@code value} (not negative) has. */
    static int digits(int value) {
        int digits = 1;
        for (int rest = value; rest >= 10; rest /= 10) {
            digits++;
        }
        return digits;
    }

    /** Writes {@code value} (not negative) in decimal ASCII. */
    static void writeDigits(ByteBuf out, int value) {
        int count = digits(value);
        int at = out.writerIndex() + count;
        out.ensureWritable(count);
        for (int rest = value, i = at - 1; i >= at - count; i--, rest /= 10) {
            out.setByte(i, '0' + rest % 10);
        }
        out.writerIndex(at);
    }
}
