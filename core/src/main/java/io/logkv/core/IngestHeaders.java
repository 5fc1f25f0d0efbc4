package io.logkv.core;

/**
 * Headers of records a streaming application writes to a namespace's ingest topic. The value is a
 * {@link RecordEnvelope} (its version is ignored: the partition owner assigns the real
 * one) or null for a delete; the key is the key's UTF-8 bytes.
 */
public final class IngestHeaders {

    /** Time to live in milliseconds, counted from when the owner applies the record (decimal text). */
    public static final String TTL_MS = "logkv.ttl-ms";
    /** Compare-and-set: the version (24 hex digits) the key must have. */
    public static final String IF_MATCH = "logkv.if-match";
    /** Put-if-absent: {@code *}. */
    public static final String IF_NONE_MATCH = "logkv.if-none-match";
    /** On a dead letter: why the record was not applied. */
    public static final String DEAD_LETTER_REASON = "logkv.dead-letter.reason";
    /** On a dead letter: where the record came from ({@code topic-partition@offset}). */
    public static final String DEAD_LETTER_SOURCE = "logkv.dead-letter.source";
    /**
     * On a dead letter too large to copy whole (its value past what LogKV accepts): what was left out, which the
     * record at its source still holds while the ingest topic keeps it.
     */
    public static final String DEAD_LETTER_OMITTED = "logkv.dead-letter.omitted";

    private IngestHeaders() {
    }

    /**
     * Whether a truth record is an ingest progress marker rather than data: its key is empty (no user key
     * can be) and its value is the position of the ingest partition that its transaction applied up to.
     * Replicas keep the highest, so a streaming application's token (an ingest position) can be waited
     * for like a truth position; compaction keeps the latest marker of each partition.
     */
    public static boolean isProgressMarker(byte[] key) {
        return key != null && key.length == 0;
    }

    /** The value of a progress marker: the ingest position it records. */
    public static byte[] progressValue(long ingestPosition) {
        return java.nio.ByteBuffer.allocate(Long.BYTES).putLong(ingestPosition).array();
    }

    /** The ingest position a progress marker records, or -1 when the value is not one. */
    public static long progressOf(byte[] value) {
        return value == null || value.length != Long.BYTES ? -1 : java.nio.ByteBuffer.wrap(value).getLong();
    }
}
