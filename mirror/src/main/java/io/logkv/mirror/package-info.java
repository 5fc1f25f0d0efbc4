/**
 * The mirror: copies each namespace's truth topic from its home region's Kafka cluster into another
 * region's, exactly once and in order per partition, with the source positions committed in the same
 * transactions as the records (docs/adr/0011-mirror-transactions-with-positions-in-the-target.md).
 */
package io.logkv.mirror;
