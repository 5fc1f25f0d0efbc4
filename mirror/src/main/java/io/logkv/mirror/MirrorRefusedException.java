package io.logkv.mirror;

/** A topic the mirror will not copy into the target region (its reason says why); tried again at the next rescan. */
public class MirrorRefusedException extends RuntimeException {

    public MirrorRefusedException(String message) {
        super(message);
    }
}
