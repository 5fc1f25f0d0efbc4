package io.logkv.core;

import org.apache.kafka.common.TopicPartition;

/**
 * The validated name of a namespace: 1 to 100 characters of {@code [A-Za-z0-9_-]}, so that it can be
 * part of a Kafka topic name without escaping and without colliding with another namespace's topics.
 */
public record NamespaceName(String value) {

    private static final int MAX_LENGTH = 100;

    /** The prefix of every namespace's truth topic. */
    public static final String TRUTH_TOPIC_PREFIX = "logkv.truth.";

    /** The prefix of every namespace's ingest topic. */
    public static final String INGEST_TOPIC_PREFIX = "logkv.ingest.";

    /** The prefix of every namespace's dead-letter topic. */
    public static final String DEAD_LETTER_TOPIC_PREFIX = "logkv.dead-letters.";

    public NamespaceName {
        if (!isLegal(value)) {
            throw new IllegalArgumentException(
                    "namespace names are 1 to 100 characters of letters, digits, '_' and '-': " + value);
        }
    }

    /** Whether {@code candidate} would be accepted as a namespace name. */
    public static boolean isLegal(String candidate) {
        if (candidate == null || candidate.isEmpty() || candidate.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            boolean legal = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
            if (!legal) {
                return false;
            }
        }
        return true;
    }

    /** The compacted topic that holds this namespace's truth. */
    public String truthTopic() {
        return TRUTH_TOPIC_PREFIX + value;
    }

    /** One partition of this namespace's truth topic. */
    public TopicPartition truthPartition(int partition) {
        return new TopicPartition(truthTopic(), partition);
    }

    /** One partition of this namespace's ingest topic. */
    public TopicPartition ingestPartition(int partition) {
        return new TopicPartition(ingestTopic(), partition);
    }

    /** The topic that receives ingest records that could not be applied, with the reason in a header. */
    public String deadLetterTopic() {
        return DEAD_LETTER_TOPIC_PREFIX + value;
    }

    /** Whether {@code topic} is a namespace's truth topic. */
    public static boolean isTruthTopic(String topic) {
        return topic.startsWith(TRUTH_TOPIC_PREFIX) && isLegal(topic.substring(TRUTH_TOPIC_PREFIX.length()));
    }

    /**
     * The topic streaming applications write to with a plain Kafka producer; partitioned like the truth
     * topic, and applied to it in order by each partition's owner.
     */
    public String ingestTopic() {
        return INGEST_TOPIC_PREFIX + value;
    }

    /** The namespace of a truth or ingest topic name, or null when the name is neither. */
    public static NamespaceName ofTopic(String topic) {
        for (String prefix : new String[] {TRUTH_TOPIC_PREFIX, INGEST_TOPIC_PREFIX}) {
            if (topic.startsWith(prefix) && isLegal(topic.substring(prefix.length()))) {
                return new NamespaceName(topic.substring(prefix.length()));
            }
        }
        return null;
    }

    /** A stable 32-bit identity used inside tokens (murmur2 of the name, as Kafka hashes keys). */
    public int tokenId() {
        return org.apache.kafka.common.utils.Utils.murmur2(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * The identity inside tokens of the positions of this namespace's truth topic in {@code region}: each
     * region's copy has offsets of its own, so a token names the region whose positions it carries (murmur2
     * of {@code <name>@<region>}). A region without a name uses {@link #tokenId()}.
     */
    public int tokenId(RegionName region) {
        return region == null ? tokenId()
                : org.apache.kafka.common.utils.Utils.murmur2((value + "@" + region.value()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The identity of this namespace's ingest positions inside tokens (distinct from {@link #tokenId()}). */
    public int ingestTokenId() {
        return org.apache.kafka.common.utils.Utils.murmur2(("ingest:" + value).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return value;
    }
}
