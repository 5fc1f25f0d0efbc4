package io.logkv.client.http;

/**
 * A write LogKV acknowledged: committed to the log on at least two brokers.
 *
 * @param version the version it created (null for a delete)
 * @param token   a consistency token covering it ({@code KV-Token})
 */
public record Written(String version, String token) {
}
