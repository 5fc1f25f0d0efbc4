package io.logkv.query.read;

import io.logkv.query.api.DigestsController;

/**
 * A class of the read path with its arrow reversed: it holds a controller of the HTTP front. No product code
 * has such an arrow; {@code NodeArchitectureTest} reads this one to show that its rules catch it.
 */
public final class ReversedArrow {

    private DigestsController front;

    private ReversedArrow() {
    }
}
