package io.logkv.client.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A key's live value as a read found it.
 *
 * @param key         the key
 * @param value       the value's bytes
 * @param contentType the value's content type
 * @param version     the version of the write that set it (the {@code ETag}, without quotes)
 * @param expiresAt   when it expires, or null when it has no time to live
 */
public record KeyValue(String key, byte[] value, String contentType, String version, Instant expiresAt) {

    /** The value as UTF-8 text. */
    public String text() {
        return new String(value, StandardCharsets.UTF_8);
    }
}
