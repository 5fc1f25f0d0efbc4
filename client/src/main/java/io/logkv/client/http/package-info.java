/**
 * LogKV's Java client for its HTTP API: {@link io.logkv.client.http.LogKvClient} (built with
 * {@link io.logkv.client.http.LogKvClient#builder()}) reads and writes keys, conditionally or not, in
 * batches, synchronously or asynchronously; {@link io.logkv.client.http.LogKvSession} does the same and
 * carries the consistency token of everything it wrote and read, so its reads see its own writes on any
 * node without the caller touching a token. Requests go straight to the node that owns (writes) or holds
 * (reads) the key's partition, learnt from the namespace's topology; ambiguous write failures are retried
 * under an {@code Idempotency-Key} the client generates; problems are typed exceptions.
 */
package io.logkv.client.http;
