package io.logkv.writer;

/**
 * A write that was not acknowledged. When {@code outcomeUnknown} is true the record may still become
 * visible (the commit's result was lost); otherwise it certainly will not.
 */
public class WriteFailedException extends RuntimeException {

    private final boolean outcomeUnknown;

    public WriteFailedException(String message, Throwable cause, boolean outcomeUnknown) {
        super(message, cause);
        this.outcomeUnknown = outcomeUnknown;
    }

    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
