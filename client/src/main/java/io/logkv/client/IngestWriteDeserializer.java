package io.logkv.client;

import io.logkv.core.IngestHeaders;
import io.logkv.core.RecordEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads back what {@link IngestWriteSerializer} wrote: a tombstone as a delete, an envelope as a put with its
 * content type, and the time to live and condition from the headers. LogKV's owners do not need it; it is
 * the other half of {@link IngestSerdes#write()}, for tests of a topology and for tools that inspect an
 * ingest topic.
 */
public class IngestWriteDeserializer implements Deserializer<IngestWrite> {

    @Override
    public IngestWrite deserialize(String topic, byte[] data) {
        throw new UnsupportedOperationException("an ingest write's time to live and condition are headers; the consumer passes them");
    }

    /**
     * @throws io.logkv.core.MalformedEnvelopeException when a non-null value is not a record envelope
     */
    @Override
    public IngestWrite deserialize(String topic, Headers headers, byte[] data) {
        IngestWrite write;
        if (data == null) {
            write = IngestWrite.delete();
        } else {
            RecordEnvelope envelope = RecordEnvelope.decode(data);
            write = IngestWrite.put(envelope.value()).contentType(envelope.contentType());
        }
        String ttlMs = lastText(headers, IngestHeaders.TTL_MS);
        if (ttlMs != null) {
            write = write.ttl(Duration.ofMillis(Long.parseLong(ttlMs)));
        }
        String ifMatch = lastText(headers, IngestHeaders.IF_MATCH);
        if (ifMatch != null) {
            write = write.ifMatch(ifMatch);
        } else if ("*".equals(lastText(headers, IngestHeaders.IF_NONE_MATCH))) {
            write = write.ifAbsent();
        }
        return write;
    }

    private static String lastText(Headers headers, String name) {
        Header header = headers == null ? null : headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
