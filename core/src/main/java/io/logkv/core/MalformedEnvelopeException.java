package io.logkv.core;

/** A record in the log, or a value in a replica, that is not a well-formed {@link RecordEnvelope}. */
public class MalformedEnvelopeException extends IllegalArgumentException {

    public MalformedEnvelopeException(String message) {
        super(message);
    }
}
