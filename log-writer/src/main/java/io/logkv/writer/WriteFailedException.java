package io.logkv.writer;

/**
 * A write that was not acknowledged. When {@code outcomeUnknown} is true the record may still become
 * visible (the commit's result was lost); otherwise it certainly will not.
 */
public class WriteFailedException extends RuntimeException {

    private final boolean outcomeUnknown;
    private final boolean deposed;

    public WriteFailedException(String message, Throwable cause, boolean outcomeUnknown) {
        this(message, cause, outcomeUnknown, false);
    }

    /**
     * @param deposed whether the writer lost its ownership or was fenced: its write must fail, not be
     *                retried elsewhere behind the client's back
     */
    public WriteFailedException(String message, Throwable cause, boolean outcomeUnknown, boolean deposed) {
        super(message, cause);
        this.outcomeUnknown = outcomeUnknown;
        this.deposed = deposed;
    }

    public boolean deposed() {
        return deposed;
    }

    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
