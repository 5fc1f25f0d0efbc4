package io.logkv.client.http;

import java.time.Duration;

/**
 * A request LogKV answered with a problem (RFC 9457), or could not answer in time. {@link #type()} is the
 * problem's short type ({@code value-too-large}, {@code not-caught-up}, ...), as docs/api.md lists them.
 */
public class LogKvException extends RuntimeException {

    private final int status;
    private final String type;
    private final Duration retryAfter;

    public LogKvException(int status, String type, String detail, Duration retryAfter, Throwable cause) {
        super(status + " " + type + (detail == null || detail.isBlank() ? "" : ": " + detail), cause);
        this.status = status;
        this.type = type;
        this.retryAfter = retryAfter;
    }

    /** The HTTP status, or 0 when no node answered. */
    public int status() {
        return status;
    }

    /** The problem's type, the last segment of its {@code type} URI ({@code unreachable} when no node answered). */
    public String type() {
        return type;
    }

    /** How long the node asked to wait before a retry, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
