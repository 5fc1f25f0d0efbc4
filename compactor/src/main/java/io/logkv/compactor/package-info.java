/**
 * The compactor: what the truth no longer needs leaves it through the log. {@link io.logkv.compactor.ExpiryCompactor}
 * finds expired keys in the expiry index of the replicas this node owns, and writes a tombstone for each
 * through the partition's owner, conditioned on the expired version.
 */
package io.logkv.compactor;
