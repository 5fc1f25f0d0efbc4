package io.logkv.client.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LogKvClientTest {

    @Test
    void keysBecomeOnePathSegmentWhateverTheyHold() {
        assertThat(LogKvClient.segment("plain-key_1.2~")).isEqualTo("plain-key_1.2~");
        assertThat(LogKvClient.segment("a/b c?d#e%")).isEqualTo("a%2Fb%20c%3Fd%23e%25");
        assertThat(LogKvClient.segment("été")).isEqualTo("%C3%A9t%C3%A9");
    }

    @Test
    void versionsAreTakenOutOfTheirETags() {
        assertThat(LogKvClient.unquoted("\"0192f3a1b2c30000a1b2c3d4\"")).isEqualTo("0192f3a1b2c30000a1b2c3d4");
        assertThat(LogKvClient.unquoted("W/\"v1\"")).isEqualTo("v1");
    }

    @Test
    void writeOptionsRefuseWhatTheApiCannotMean() {
        assertThatThrownBy(() -> WriteOptions.defaults().ifVersion("v1").onlyIfAbsent().ifVersion("v2").ttl(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WriteOptions(null, null, "v1", true, null)).isInstanceOf(IllegalArgumentException.class);
        WriteOptions options = WriteOptions.defaults().ifVersion("v1").onlyIfAbsent();
        assertThat(options.ifVersion()).isNull();
        assertThat(options.ifAbsent()).isTrue();
        assertThatThrownBy(() -> LogKvClient.builder().build()).isInstanceOf(IllegalStateException.class);
    }
}
