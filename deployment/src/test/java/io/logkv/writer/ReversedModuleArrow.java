package io.logkv.writer;

import io.logkv.query.read.KeyReads;

/**
 * A class of the log writer's package with its arrow reversed: it reaches up into the node. No product code has
 * such an arrow; {@code ModuleArchitectureTest} reads this one to show that its rule catches it.
 */
public final class ReversedModuleArrow {

    private KeyReads reads;

    private ReversedModuleArrow() {
    }
}
