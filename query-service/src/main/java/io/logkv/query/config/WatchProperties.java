package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.watch.*} properties: change streams ({@code GET /v1/namespaces/{ns}/watch}).
 *
 * @param maxWatches    change streams one node serves at once (each reads the log with a consumer of its own);
 *                      more answer {@code 503 overloaded}
 * @param maxWatchesPerClient change streams one client (its principal; its address on an open node) may hold on one
 *                      node at once; more answer {@code 429 too-many-watches}, so that one client cannot take them all
 * @param maxWatchesPerNamespace change streams of one namespace one node serves at once; more answer
 *                      {@code 429 too-many-watches}
 * @param maxLagRecords a stream further than this behind the log's end (its client reads too slowly) is
 *                      ended with a {@code dropped} event; the client resumes with {@code Last-Event-ID}
 * @param maxDuration   a stream is ended after this long with a {@code reconnect} event (load spreads again)
 * @param heartbeat     a quiet stream gets a comment this often, so that a gone client is noticed
 */
public record WatchProperties(
        @DefaultValue("100") int maxWatches,
        @DefaultValue("25") int maxWatchesPerClient,
        @DefaultValue("50") int maxWatchesPerNamespace,
        @DefaultValue("100000") long maxLagRecords,
        @DefaultValue("1h") Duration maxDuration,
        @DefaultValue("15s") Duration heartbeat) {
}
