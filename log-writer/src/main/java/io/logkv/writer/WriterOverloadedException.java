package io.logkv.writer;

/** The writer's queue of pending writes is full; the caller should back off and retry. */
public class WriterOverloadedException extends RuntimeException {

    public WriterOverloadedException(String message) {
        super(message);
    }
}
