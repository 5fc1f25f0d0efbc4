package io.logkv.client;

import io.logkv.core.Version;
import java.time.Duration;
import java.util.Objects;

/**
 * One put or delete a streaming application sends through a namespace's ingest topic, with the same
 * options as the HTTP API: content type, time to live, and a condition ({@code If-Match} or
 * {@code If-None-Match: *}). A write whose condition fails is not applied; it goes to the namespace's
 * dead-letter topic with the reason.
 */
public final class IngestWrite {

    private final byte[] value;
    private final String contentType;
    private final Duration ttl;
    private final String ifMatch;
    private final boolean ifAbsent;

    private IngestWrite(byte[] value, String contentType, Duration ttl, String ifMatch, boolean ifAbsent) {
        this.value = value;
        this.contentType = contentType;
        this.ttl = ttl;
        this.ifMatch = ifMatch;
        this.ifAbsent = ifAbsent;
    }

    /** A put of {@code value} (content type {@code application/octet-stream} unless set). */
    public static IngestWrite put(byte[] value) {
        return new IngestWrite(Objects.requireNonNull(value, "value"), "application/octet-stream", null, null, false);
    }

    /** A delete of the record's key. */
    public static IngestWrite delete() {
        return new IngestWrite(null, null, null, null, false);
    }

    public IngestWrite contentType(String type) {
        return new IngestWrite(value, Objects.requireNonNull(type), ttl, ifMatch, ifAbsent);
    }

    /** Expire the value this long after the owner applies the write. */
    public IngestWrite ttl(Duration timeToLive) {
        if (timeToLive.isNegative() || timeToLive.isZero()) {
            throw new IllegalArgumentException("a time to live must be positive");
        }
        return new IngestWrite(value, contentType, timeToLive, ifMatch, ifAbsent);
    }

    /** Apply only if the key's current version is {@code version} (as an ETag gives it, quotes optional). */
    public IngestWrite ifMatch(String version) {
        String bare = version.strip().replace("\"", "");
        Version.parse(bare);
        return new IngestWrite(value, contentType, ttl, bare, false);
    }

    /** Apply only if the key does not exist. */
    public IngestWrite ifAbsent() {
        return new IngestWrite(value, contentType, ttl, null, true);
    }

    byte[] value() {
        return value;
    }

    String contentType() {
        return contentType;
    }

    Duration ttl() {
        return ttl;
    }

    String ifMatchVersion() {
        return ifMatch;
    }

    boolean ifAbsentOnly() {
        return ifAbsent;
    }

    boolean isDelete() {
        return value == null;
    }
}
