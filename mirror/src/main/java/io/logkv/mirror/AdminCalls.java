package io.logkv.mirror;

import io.logkv.writer.KafkaUnavailableException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaFuture;

/** The one way the mirror waits for an administrative call: bounded, and failing as "Kafka unavailable". */
final class AdminCalls {

    private AdminCalls() {
    }

    static <T> T await(KafkaFuture<T> call, String what, Duration timeout) {
        try {
            return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted trying to " + what, e);
        } catch (Exception e) {
            throw new KafkaUnavailableException("could not " + what, e);
        }
    }
}
