package io.logkv.query.config;

import java.time.Duration;
import org.springframework.util.unit.DataSize;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.shedding.*} properties: refusing at once the work a node cannot take (ADR 0016).
 *
 * @param maxActiveRequests API requests ({@code /v1/...}) a node works on at once, on a thread; beyond, a request
 *                          is answered {@code 503 overloaded} at once. A request waiting for Kafka or for a replica
 *                          holds no thread and no place here: the writer's and the waiting reads' own bounds apply
 *                          to it. 0: no bound
 * @param retryAfter        the {@code Retry-After} of those answers
 * @param largeBody         a request whose declared body ({@code Content-Length}) is at least this large counts as
 *                          large
 * @param maxActiveLarge    large requests a node works on at once, on a thread (they count among
 *                          {@code maxActiveRequests} too); beyond, {@code 503 overloaded} at once, before the body is
 *                          read: so that megabyte values cannot take every thread and core that small requests need.
 *                          0: no bound of their own
 * @param maxAnswerBytesInFlight bytes of values that the node's answers of many keys (batch-gets, scan pages,
 *                          {@code MGET}) hold at once, all together, from when each is read until its answer is
 *                          sent: a value with no room left ends its answer there, as at the answer's own bound
 *                          ({@code logkv.replicas.max-answer-bytes}); the first value of each partition read is
 *                          always taken. 0: no bound
 */
public record SheddingProperties(
        @DefaultValue("256") int maxActiveRequests,
        @DefaultValue("1s") Duration retryAfter,
        @DefaultValue("64KB") DataSize largeBody,
        @DefaultValue("8") int maxActiveLarge,
        @DefaultValue("128MB") DataSize maxAnswerBytesInFlight) {
}
