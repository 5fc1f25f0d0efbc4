/**
 * The vocabulary every LogKV role shares: namespaces and their topics, keys and their partitions,
 * versions, the record envelope stored in the log and in replicas, and consistency tokens.
 *
 * <p>Nothing here talks to Kafka brokers, RocksDB or HTTP; it is pure, tested logic.
 */
package io.logkv.core;
