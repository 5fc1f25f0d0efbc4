package io.logkv.client.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One change of a namespace, as a watch delivers it.
 *
 * @param type        {@code put}, {@code delete} or {@code expire}
 * @param key         the key
 * @param partition   the key's partition
 * @param position    the log position just after the change
 * @param version     the write's version (null for a delete without one)
 * @param contentType a put's content type
 * @param value       a put's value (null otherwise)
 * @param expiresAt   when a put's value expires, or when an expired value did; null when neither
 * @param token       a token of every partition's position after this change: resume a watch from it, or
 *                    send it with a read to see at least this state
 */
public record Change(String type, String key, int partition, long position, String version, String contentType, byte[] value,
                     Instant expiresAt, String token) {

    /** A put's value as UTF-8 text. */
    public String text() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }
}
