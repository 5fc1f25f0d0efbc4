package io.logkv.materializer;

/** This node holds no open replica for the partition asked for. */
public class ReplicaUnavailableException extends RuntimeException {

    public ReplicaUnavailableException(String message) {
        super(message);
    }
}
