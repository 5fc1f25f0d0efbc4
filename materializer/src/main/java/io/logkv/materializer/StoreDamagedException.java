package io.logkv.materializer;

/**
 * A replica store that RocksDB cannot open because its files are missing or corrupt (a copy cut short, a disk
 * fault), as opposed to one it cannot open for want of resources (space, permissions). Such a store is derived
 * from the log and can be replayed again; {@link ReplicaOpening} wipes it.
 */
public final class StoreDamagedException extends IllegalStateException {

    StoreDamagedException(String message, Throwable cause) {
        super(message, cause);
    }
}
