package io.logkv.query.read;

import io.logkv.query.read.ForwardedReadBatch.Answer;
import io.logkv.query.read.ForwardedReadBatch.Read;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ForwardedReadBatchTest {

    @Test
    void readsAndAnswersSurviveTheRoundTrip() {
        List<Read> reads = List.of(
                new Read("/v1/namespaces/default/keys/a%2Fb?consistency=eventual", Map.of("KV-Token", "AQEFbkK1DAE", "If-None-Match", "\"v1\"")),
                new Read("/v1/namespaces/default/keys/%C3%A9t%C3%A9", Map.of()));
        List<Read> decoded = ForwardedReadBatch.decodeReads(ForwardedReadBatch.encodeReads(reads), 10);
        assertThat(decoded).hasSize(2);
        assertThat(decoded.get(0).pathAndQuery()).isEqualTo(reads.get(0).pathAndQuery());
        assertThat(decoded.get(0).headers()).containsEntry("kv-token", "AQEFbkK1DAE").containsEntry("if-none-match", "\"v1\"");
        assertThat(decoded.get(1).headers()).isEmpty();

        byte[] value = new byte[1024];
        Arrays.fill(value, (byte) 0x7f);
        List<Answer> answers = List.of(new Answer(200, Map.of("ETag", "\"v1\""), value),
                new Answer(404, Map.of("Content-Type", "application/problem+json"), "{}".getBytes(StandardCharsets.UTF_8)),
                new Answer(304, Map.of(), new byte[0]));
        List<Answer> back = ForwardedReadBatch.decodeAnswers(ForwardedReadBatch.encodeAnswers(answers), 3);
        assertThat(back).extracting(Answer::status).containsExactly(200, 404, 304);
        assertThat(back.get(0).body()).isEqualTo(value);
        assertThat(back.get(0).headers()).containsEntry("etag", "\"v1\"");
        assertThat(back.get(2).body()).isEmpty();
    }

    @Test
    void malformedBodiesAreRefused() {
        byte[] good = ForwardedReadBatch.encodeReads(List.of(new Read("/v1/namespaces/n/keys/k", Map.of())));
        assertThatThrownBy(() -> ForwardedReadBatch.decodeReads(new byte[0], 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ForwardedReadBatch.decodeReads(new byte[]{2, 0, 0, 0, 1}, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format");
        assertThatThrownBy(() -> ForwardedReadBatch.decodeReads(Arrays.copyOf(good, good.length - 1), 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ForwardedReadBatch.decodeReads(Arrays.copyOf(good, good.length + 1), 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after the last");
        assertThatThrownBy(() -> ForwardedReadBatch.decodeReads(new byte[]{1, 0x7f, 0, 0, 0}, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from 1 to 10");
        assertThatThrownBy(() -> ForwardedReadBatch.decodeReads(new byte[]{1, 0, 0, 0, 1, 0x7f, 0x7f, 0x7f, 0x7f}, 10))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] answers = ForwardedReadBatch.encodeAnswers(List.of(new Answer(200, Map.of(), new byte[3])));
        assertThatThrownBy(() -> ForwardedReadBatch.decodeAnswers(answers, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
