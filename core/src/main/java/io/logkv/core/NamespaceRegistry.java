package io.logkv.core;

/**
 * The namespace registry is itself a compacted topic of the log: the key is a namespace's name, the value
 * its {@link NamespaceSettings}, and a tombstone deletes it. Every node reads it to learn which
 * namespaces exist, so namespaces appear and disappear at run time without a restart.
 */
public final class NamespaceRegistry {

    /** The registry topic (one partition, so every change has one order). */
    public static final String TOPIC = "logkv.namespaces";

    private NamespaceRegistry() {
    }
}
