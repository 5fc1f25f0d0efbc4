package io.logkv.mirror;

/**
 * A promotion that stopped part way because a cluster could not be reached or the mirror did not carry the old
 * home's log in time: every step it made holds, and running it again finishes it.
 */
public final class PromotionIncompleteException extends RuntimeException {

    public PromotionIncompleteException(String message, Throwable cause) {
        super(message, cause);
    }
}
