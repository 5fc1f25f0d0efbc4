package io.logkv.local;

/** The local Kafka cluster did not come up; the message says why and {@link #logTail()} shows the evidence. */
public final class KafkaStartException extends RuntimeException {

    private final String logTail;

    KafkaStartException(String message, String logTail) {
        super(message);
        this.logTail = logTail;
    }

    /** The last lines of the logs of the node that failed, or an empty string. */
    public String logTail() {
        return logTail;
    }
}
