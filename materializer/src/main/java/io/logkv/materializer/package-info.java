/**
 * Replicas of truth partitions. {@link io.logkv.materializer.LocalReplicas} consumes partitions with
 * {@code isolation.level=read_committed} into one RocksDB store per partition
 * ({@link io.logkv.materializer.PartitionStore}), writing each batch of records together with the log
 * position it reaches, so a replica always knows exactly what it has applied, resumes there after a
 * restart, and is rebuilt by replaying the log when its store is gone.
 */
package io.logkv.materializer;
