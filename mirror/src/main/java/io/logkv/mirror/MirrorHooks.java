package io.logkv.mirror;

/**
 * Points inside a topic's mirror loop where a test can hold a mirror still (to make it a zombie) or make it fail, and
 * inside the rescan, where a test can hold it between its read of the registries and its writes.
 */
interface MirrorHooks {

    MirrorHooks NONE = topic -> { };

    /** Called on the mirror's thread after a transaction's records and positions are sent, before its commit. */
    void beforeCommit(String topic) throws InterruptedException;

    /** Called on the mirror's thread after a commit returned, before the mirror counts it. */
    default void afterCommit(String topic) {
    }

    /** Called on the rescan's thread after it has read both registries and started mirrors, before it carries settings. */
    default void beforeRegistryRefresh() {
    }
}
