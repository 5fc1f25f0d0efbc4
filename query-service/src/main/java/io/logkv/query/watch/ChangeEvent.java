package io.logkv.query.watch;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.logkv.core.IngestHeaders;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One change of a namespace as a watch reports it: the data of a {@code put}, {@code delete} or
 * {@code expire} event (docs/api.md, "Watch").
 *
 * @param key         the key (UTF-8 text)
 * @param partition   the key's partition
 * @param position    the log position just after the change (what a token covering it names)
 * @param version     the version of the write, when it has one
 * @param contentType a put's content type
 * @param value       a put's value, base64 (RFC 4648)
 * @param expiresAt   when a put's value expires, or when an expired value did (RFC 3339)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChangeEvent(String key, int partition, long position, String version, String contentType, String value,
                          String expiresAt) {

    /** The event's type: {@code put}, {@code delete} or {@code expire}. */
    static String typeOf(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() != null) {
            return "put";
        }
        return Tombstones.expiredAtOf(record.headers()) > 0 ? "expire" : "delete";
    }

    /** The change a truth record is, or null for a record that changes no key (an ingest progress marker). */
    static ChangeEvent of(ConsumerRecord<byte[], byte[]> record) {
        if (record.key() == null || IngestHeaders.isProgressMarker(record.key())) {
            return null;
        }
        String key = new String(record.key(), StandardCharsets.UTF_8);
        long position = record.offset() + 1;
        if (record.value() == null) {
            Version version = Tombstones.versionOf(record.headers());
            long expiredAt = Tombstones.expiredAtOf(record.headers());
            return new ChangeEvent(key, record.partition(), position, version == null ? null : version.text(), null, null,
                    expiredAt > 0 ? Instant.ofEpochMilli(expiredAt).toString() : null);
        }
        RecordEnvelope envelope = RecordEnvelope.decode(record.value());
        return new ChangeEvent(key, record.partition(), position, envelope.version().text(), envelope.contentType(),
                Base64.getEncoder().encodeToString(envelope.value()),
                envelope.expiresAtMs() == RecordEnvelope.NO_EXPIRY ? null : Instant.ofEpochMilli(envelope.expiresAtMs()).toString());
    }
}
