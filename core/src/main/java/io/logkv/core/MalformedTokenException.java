package io.logkv.core;

/** A {@code KV-Token} that is not a token LogKV issued. */
public class MalformedTokenException extends IllegalArgumentException {

    public MalformedTokenException(String message) {
        super(message);
    }
}
