package io.logkv.client.http;

import java.time.Duration;

/**
 * How a put or delete is written: content type, time to live, condition and idempotency key. Start from
 * {@link #defaults()} and change what differs; each method returns a new value.
 *
 * @param contentType    the value's content type ({@code application/octet-stream} when null)
 * @param ttl            the value's time to live, or null for the namespace's default
 * @param ifVersion      write only if the key's current version is this one ({@code If-Match}), or null
 * @param ifAbsent       write only if the key has no live value ({@code If-None-Match: *})
 * @param idempotencyKey the write's {@code Idempotency-Key}; null: the client makes one, so that its retries
 *                       of an ambiguous failure apply the write at most once
 */
public record WriteOptions(String contentType, Duration ttl, String ifVersion, boolean ifAbsent, String idempotencyKey) {

    private static final WriteOptions DEFAULTS = new WriteOptions(null, null, null, false, null);

    public WriteOptions {
        if (ifVersion != null && ifAbsent) {
            throw new IllegalArgumentException("a write is conditional on a version or on the key's absence, not both");
        }
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new IllegalArgumentException("a time to live must be positive");
        }
    }

    public static WriteOptions defaults() {
        return DEFAULTS;
    }

    public WriteOptions contentType(String type) {
        return new WriteOptions(type, ttl, ifVersion, ifAbsent, idempotencyKey);
    }

    public WriteOptions ttl(Duration timeToLive) {
        return new WriteOptions(contentType, timeToLive, ifVersion, ifAbsent, idempotencyKey);
    }

    public WriteOptions ifVersion(String version) {
        return new WriteOptions(contentType, ttl, version, false, idempotencyKey);
    }

    public WriteOptions onlyIfAbsent() {
        return new WriteOptions(contentType, ttl, null, true, idempotencyKey);
    }

    public WriteOptions idempotencyKey(String key) {
        return new WriteOptions(contentType, ttl, ifVersion, ifAbsent, key);
    }
}
