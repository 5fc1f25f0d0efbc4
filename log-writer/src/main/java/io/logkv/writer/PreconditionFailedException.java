package io.logkv.writer;

import io.logkv.core.Version;

/** A conditional write whose condition did not hold; carries the key's current version (null when absent). */
public class PreconditionFailedException extends RuntimeException {

    private final Version current;

    public PreconditionFailedException(Version current) {
        super(current == null ? "the key does not exist" : "the key's current version is " + current.text());
        this.current = current;
    }

    public Version current() {
        return current;
    }
}
