package io.logkv.examples;

import io.logkv.client.IngestSerdes;
import io.logkv.client.IngestWrite;
import io.logkv.client.LogKvTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A Kafka Streams topology with LogKV as its sink: page views (key: user id, value: page) counted per user,
 * each user's latest count written to a namespace under the user id as {@code {"user":"…","views":N}},
 * with a time to live so users who stop visiting disappear. Run it with {@code exactly_once_v2}
 * ({@link RunPageViewCounts} does): a count is then written once per committed transaction, and the
 * namespace's owners apply only committed writes.
 */
public final class PageViewCounts {

    /** The state store holding the counts (and its changelog topic's suffix). */
    public static final String STORE = "views-per-user";

    private PageViewCounts() {
    }

    /**
     * @param inputTopic page views, keyed by user id, valued by the page (UTF-8 strings)
     * @param namespace  the LogKV namespace the counts go to (through its ingest topic)
     * @param ttl        how long a user's count lives after its last update
     */
    public static Topology topology(String inputTopic, String namespace, Duration ttl) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(inputTopic, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
                .toStream()
                .mapValues((user, views) -> IngestWrite.put(countJson(user, views))
                        .contentType("application/json").ttl(ttl))
                .to(LogKvTopics.ingest(namespace), Produced.with(IngestSerdes.key(), IngestSerdes.write()));
        return builder.build();
    }

    /** The value written for a user: {@code {"user":"<id>","views":<count>}}. */
    static byte[] countJson(String user, long views) {
        return ("{\"user\":\"" + jsonEscaped(user) + "\",\"views\":" + views + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static String jsonEscaped(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
