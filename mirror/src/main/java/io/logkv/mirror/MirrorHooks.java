package io.logkv.mirror;

/** Points inside a topic's mirror loop where a test can hold a mirror still (to make it a zombie). */
interface MirrorHooks {

    MirrorHooks NONE = topic -> { };

    /** Called on the mirror's thread after a transaction's records and positions are sent, before its commit. */
    void beforeCommit(String topic) throws InterruptedException;
}
