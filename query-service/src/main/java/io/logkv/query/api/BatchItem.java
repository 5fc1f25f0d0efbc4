package io.logkv.query.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.logkv.core.RecordEnvelope;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;

/**
 * One key of a batch-get or of a scan's page.
 *
 * @param key         the key
 * @param found       whether it has a live value
 * @param version     the value's version (the ETag of a single read), when found
 * @param contentType the value's content type, when found
 * @param value       the value, base64-encoded (RFC 4648), when found
 * @param expiresAt   when the value expires (RFC 3339), when it has a time to live
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BatchItem(String key, boolean found, String version, String contentType, String value, String expiresAt) {

    /** The value's length in bytes (0 when not found), from its base64 text, without decoding it. */
    long valueBytes() {
        if (value == null) {
            return 0;
        }
        int length = value.length();
        int padding = length > 0 && value.charAt(length - 1) == '=' ? (length > 1 && value.charAt(length - 2) == '=' ? 2 : 1) : 0;
        return (long) length / 4 * 3 - padding;
    }

    static BatchItem of(String key, RecordEnvelope envelope) {
        if (envelope == null) {
            return new BatchItem(key, false, null, null, null, null);
        }
        String expiresAt = envelope.expiresAtMs() == RecordEnvelope.NO_EXPIRY ? null
                : Instant.ofEpochMilli(envelope.expiresAtMs()).truncatedTo(ChronoUnit.MILLIS).toString();
        return new BatchItem(key, true, envelope.version().text(), envelope.contentType(),
                Base64.getEncoder().encodeToString(envelope.value()), expiresAt);
    }
}
