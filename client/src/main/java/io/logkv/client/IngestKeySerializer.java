package io.logkv.client;

import io.logkv.core.KeyRules;
import java.util.Map;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes a LogKV key as its UTF-8 bytes, refusing keys LogKV would refuse (empty, not valid Unicode,
 * longer than {@code logkv.max.key.bytes}, default 1024), so a bad key fails in the application rather
 * than in a dead-letter topic. The bytes are also what Kafka's default partitioner hashes, so the record
 * lands on the partition that owns the key.
 */
public class IngestKeySerializer implements Serializer<String> {

    /** Producer config naming the key limit, when the namespace's nodes use another than 1024. */
    public static final String MAX_KEY_BYTES_CONFIG = "logkv.max.key.bytes";

    private KeyRules rules = new KeyRules(KeyRules.DEFAULT_MAX_KEY_BYTES);

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Object limit = configs.get(MAX_KEY_BYTES_CONFIG);
        if (limit != null) {
            rules = new KeyRules(Integer.parseInt(limit.toString()));
        }
    }

    @Override
    public byte[] serialize(String topic, String key) {
        return rules.encode(key);
    }
}
