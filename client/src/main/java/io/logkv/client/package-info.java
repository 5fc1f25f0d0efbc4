/**
 * What a streaming application needs to write to LogKV with a plain Kafka producer: produce
 * {@link io.logkv.client.IngestWrite}s keyed by the LogKV key to {@link io.logkv.client.LogKvTopics#ingest}
 * with {@link io.logkv.client.IngestKeySerializer} and {@link io.logkv.client.IngestWriteSerializer}; the
 * partition's owner applies them to the namespace in order, exactly once. Turn the producer's
 * {@code RecordMetadata} into a {@code KV-Token} with {@link io.logkv.client.IngestTokens} to read your
 * own writes.
 */
package io.logkv.client;
