package io.logkv.client;

import io.logkv.core.IngestHeaders;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes an {@link IngestWrite} the way LogKV's partition owners read it: the value as a record
 * envelope (the owner assigns the real version), a delete as a tombstone, and the time to live and
 * condition as headers.
 */
public class IngestWriteSerializer implements Serializer<IngestWrite> {

    private static final Version UNASSIGNED = new Version(0, 0);

    @Override
    public byte[] serialize(String topic, IngestWrite write) {
        throw new UnsupportedOperationException("an ingest write needs headers; the producer passes them");
    }

    @Override
    public byte[] serialize(String topic, Headers headers, IngestWrite write) {
        if (write == null) {
            return null;
        }
        if (write.ttl() != null) {
            headers.add(IngestHeaders.TTL_MS, Long.toString(write.ttl().toMillis()).getBytes(StandardCharsets.UTF_8));
        }
        if (write.ifMatchVersion() != null) {
            headers.add(IngestHeaders.IF_MATCH, write.ifMatchVersion().getBytes(StandardCharsets.UTF_8));
        }
        if (write.ifAbsentOnly()) {
            headers.add(IngestHeaders.IF_NONE_MATCH, "*".getBytes(StandardCharsets.UTF_8));
        }
        if (write.isDelete()) {
            return null;
        }
        return new RecordEnvelope(UNASSIGNED, RecordEnvelope.NO_EXPIRY, write.contentType(), write.value()).encode();
    }
}
