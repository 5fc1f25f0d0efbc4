package io.logkv.writer;

/** A namespace change that contradicts how the namespace already is. */
public class NamespaceConflictException extends RuntimeException {

    public NamespaceConflictException(String message) {
        super(message);
    }
}
