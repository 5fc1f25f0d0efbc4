package io.logkv.mirror;

/** A promotion that the registries or the logs of the two regions do not allow; nothing was changed by the refusing step. */
public final class PromotionRefusedException extends RuntimeException {

    public PromotionRefusedException(String message) {
        super(message);
    }
}
