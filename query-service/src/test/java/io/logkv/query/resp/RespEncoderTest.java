package io.logkv.query.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The endpoint's encoder writes, byte for byte, what Netty's RESP encoder writes, for every kind of reply. */
class RespEncoderTest {

    @Test
    void bulkRepliesOfEveryLengthAreWrittenAsNettyWritesThem() {
        Random random = new Random(3);
        for (int length : new int[] {0, 1, 9, 10, 99, 100, 1023, 1024, 65_536, 1_048_576}) {
            byte[] value = new byte[length];
            random.nextBytes(value);
            assertThat(encoded(new RespEncoder(), () -> new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(value))))
                    .as("length %d", length)
                    .isEqualTo(encoded(new RedisEncoder(), () -> new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(value))));
        }
    }

    @Test
    void otherRepliesAreNettysOwn() {
        List<Supplier<RedisMessage>> replies = List.of(
                () -> FullBulkStringRedisMessage.NULL_INSTANCE,
                () -> FullBulkStringRedisMessage.EMPTY_INSTANCE,
                () -> new SimpleStringRedisMessage("OK"),
                () -> new ErrorRedisMessage("NOT-CAUGHT-UP wait"),
                () -> new IntegerRedisMessage(12_345),
                () -> new ArrayRedisMessage(List.of(new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(new byte[] {7, 8})),
                        FullBulkStringRedisMessage.NULL_INSTANCE)));
        for (Supplier<RedisMessage> reply : replies) {
            assertThat(encoded(new RespEncoder(), reply)).isEqualTo(encoded(new RedisEncoder(), reply));
        }
    }

    @Test
    void digitsAreCountedAndWritten() {
        for (int value : new int[] {0, 5, 10, 123, 999_999, Integer.MAX_VALUE}) {
            ByteBuf out = Unpooled.buffer();
            RespEncoder.writeDigits(out, value);
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo(Integer.toString(value));
            assertThat(RespEncoder.digits(value)).isEqualTo(Integer.toString(value).length());
        }
    }

    private static byte[] encoded(RedisEncoder encoder, Supplier<RedisMessage> reply) {
        EmbeddedChannel channel = new EmbeddedChannel(encoder);
        channel.writeOutbound(reply.get());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Object part; (part = channel.readOutbound()) != null; ) {
            ByteBuf buffer = (ByteBuf) part;
            bytes.writeBytes(ByteBufUtil.getBytes(buffer));
            buffer.release();
        }
        channel.finishAndReleaseAll();
        return bytes.toByteArray();
    }
}
