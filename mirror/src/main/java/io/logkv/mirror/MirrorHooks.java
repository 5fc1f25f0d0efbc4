package io.logkv.mirror;

/** Points inside a topic's mirror loop where a test can hold a mirror still (to make it a zombie) or make it fail. */
interface MirrorHooks {

    MirrorHooks NONE = topic -> { };

    /** Called on the mirror's thread after a transaction's records and positions are sent, before its commit. */
    void beforeCommit(String topic) throws InterruptedException;

    /** Called on the mirror's thread after a commit returned, before the mirror counts it. */
    default void afterCommit(String topic) {
    }
}
