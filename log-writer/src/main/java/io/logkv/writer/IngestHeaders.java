package io.logkv.writer;

/**
 * Headers of records a streaming application writes to a namespace's ingest topic. The value is a
 * {@link io.logkv.core.RecordEnvelope} (its version is ignored: the partition owner assigns the real
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

    private IngestHeaders() {
    }
}
