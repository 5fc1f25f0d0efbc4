package io.logkv.materializer;

/** Too many reads are waiting for this node's replicas; the caller should back off and retry. */
public class ReplicaOverloadedException extends RuntimeException {

    public ReplicaOverloadedException(String message) {
        super(message);
    }
}
