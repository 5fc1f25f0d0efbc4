package io.logkv.writer;

/** Kafka did not answer in time or refused an operation; the caller may retry later. */
public class KafkaUnavailableException extends RuntimeException {

    public KafkaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
