package io.logkv.client;

import io.logkv.core.IngestHeaders;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Serdes for writing to a LogKV namespace from a Kafka Streams topology:
 * <pre>{@code
 * counts.toStream()
 *       .mapValues(count -> IngestWrite.put(json(count)).contentType("application/json").ttl(Duration.ofDays(7)))
 *       .to(LogKvTopics.ingest("views"), Produced.with(IngestSerdes.key(), IngestSerdes.write()));
 * }</pre>
 * {@link Serde} is part of {@code kafka-clients}, so these need nothing of Kafka Streams (see
 * {@code docs/adr/0008-streams-serdes.md}). Run the topology with {@code processing.guarantee=exactly_once_v2}:
 * its writes then reach the ingest topic in its transactions, and the owners apply exactly the committed ones.
 */
public final class IngestSerdes {

    private IngestSerdes() {
    }

    /** The LogKV key: serialized by {@link IngestKeySerializer} (key rules enforced), read back as UTF-8. */
    public static Serde<String> key() {
        return Serdes.serdeFrom(new IngestKeySerializer(), new StringDeserializer());
    }

    /** An {@link IngestWrite} (put, delete, time to live, condition), with {@link IngestWriteDeserializer} to read it back. */
    public static Serde<IngestWrite> write() {
        return Serdes.serdeFrom(new StreamsIngestWriteSerializer(), new IngestWriteDeserializer());
    }

    /**
     * Kafka Streams hands the sink the headers of the record being processed, so an ingest record would
     * inherit a time to live or condition from its input, or carry two; the write's own are the only ones kept.
     */
    static final class StreamsIngestWriteSerializer extends IngestWriteSerializer {

        @Override
        public byte[] serialize(String topic, Headers headers, IngestWrite write) {
            headers.remove(IngestHeaders.TTL_MS);
            headers.remove(IngestHeaders.IF_MATCH);
            headers.remove(IngestHeaders.IF_NONE_MATCH);
            return super.serialize(topic, headers, write);
        }
    }
}
