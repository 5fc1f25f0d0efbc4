package io.logkv.writer;

/** What a Kafka client's failure says, read through the exceptions that wrap it. */
public final class KafkaErrors {

    private KafkaErrors() {
    }

    /** Whether {@code error}, or any exception in its chain of causes, is one of {@code types}. */
    @SafeVarargs
    public static boolean causedBy(Throwable error, Class<? extends Throwable>... types) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            for (Class<? extends Throwable> type : types) {
                if (type.isInstance(cause)) {
                    return true;
                }
            }
        }
        return false;
    }
}
