package io.logkv.benchmark;

import io.logkv.core.NamespaceName;

/**
 * A truth topic the loader filled: what every case reads back and must find in full.
 *
 * @param namespace    the namespace whose truth topic it is
 * @param partitions   its partition count
 * @param records      committed records in it (every key is distinct, so compaction removes none)
 * @param payloadBytes key and value bytes of those records
 */
record LoadedTopic(NamespaceName namespace, int partitions, long records, long payloadBytes) {

    String topic() {
        return namespace.truthTopic();
    }

    double bytesPerRecord() {
        return (double) payloadBytes / records;
    }
}
