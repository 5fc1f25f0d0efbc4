package io.logkv.materializer;

/**
 * The content digest of one replica at one position; equal digests at equal positions mean equal contents.
 *
 * @param namespace the namespace
 * @param partition the partition
 * @param position  the applied position the digest reflects
 * @param sha256    hex SHA-256 over every (key, value) in key order
 */
public record ReplicaDigest(String namespace, int partition, long position, String sha256) {
}
