package io.logkv.client.http;

/** The standard HTTP headers the client sends and reads (LogKV's own are in {@link io.logkv.core.ApiHeaders}). */
final class StandardHeaders {

    static final String CONTENT_TYPE = "Content-Type";
    static final String ETAG = "ETag";
    static final String IF_MATCH = "If-Match";
    static final String IF_NONE_MATCH = "If-None-Match";
    static final String RETRY_AFTER = "Retry-After";

    private StandardHeaders() {
    }
}
