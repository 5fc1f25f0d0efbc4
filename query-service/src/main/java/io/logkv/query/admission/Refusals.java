package io.logkv.query.admission;

import io.logkv.core.ProblemTypes;
import io.logkv.query.admission.QuotaBuckets.Operation;
import io.logkv.query.admission.QuotaBuckets.Refusal;
import io.logkv.query.admission.QuotaBuckets.Scope;
import io.logkv.query.problem.ApiProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/**
 * The answers to requests a node refuses before serving them, and their count by reason
 * ({@code logkv.requests.refused}): {@code 429 over-quota} when a client's or a namespace's rate is used up,
 * {@code 503 overloaded} when the node already works on as many requests as it may. Every counter is made at
 * start, so that a refusal costs no lookup and the meters exist (at 0) before the first one.
 */
public final class Refusals {

    static final String METER = "logkv.requests.refused";

    private final Map<Scope, Map<Operation, Counter>> overQuota = new EnumMap<>(Scope.class);
    private final Counter overloaded;
    private final Counter overloadedLarge;
    private final Counter answersCut;

    public Refusals(MeterRegistry meters) {
        for (Scope scope : Scope.values()) {
            Map<Operation, Counter> byOperation = new EnumMap<>(Operation.class);
            for (Operation operation : Operation.values()) {
                byOperation.put(operation, counter(meters, ProblemTypes.OVER_QUOTA, scope.name().toLowerCase(Locale.ROOT),
                        operation.name().toLowerCase(Locale.ROOT)));
            }
            overQuota.put(scope, byOperation);
        }
        this.overloaded = counter(meters, ProblemTypes.OVERLOADED, "active-requests", "any");
        this.overloadedLarge = counter(meters, ProblemTypes.OVERLOADED, "active-large-requests", "any");
        this.answersCut = Counter.builder("logkv.answers.cut")
                .description("Values left out of answers of many keys because the node's answers held all the bytes they may"
                        + " (logkv.shedding.max-answer-bytes-in-flight): asked for again, as past an answer's own bound")
                .register(meters);
    }

    /** Counts a request over a rate, and answers it {@code 429 over-quota} with {@code Retry-After}. */
    public ApiProblem overQuota(Refusal refusal) {
        overQuota.get(refusal.scope()).get(refusal.operation()).increment();
        String what = refusal.operation() == Operation.READ ? "reads" : "writes";
        String who = refusal.scope() == Scope.CLIENT ? "'" + refusal.holder() + "'" : "namespace '" + refusal.holder() + "'";
        return new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.OVER_QUOTA, "Over quota",
                who + " is limited to " + refusal.perSecond() + " " + what + "/s on this node (logkv.quotas); retry in "
                        + refusal.retryAfterSeconds() + " s")
                .withHeader(HttpHeaders.RETRY_AFTER, Long.toString(refusal.retryAfterSeconds()));
    }

    /** Counts a request refused because the node is at its bound. */
    void countOverloaded() {
        overloaded.increment();
    }

    /** Counts a request with a large body refused because the node is at its bound on those. */
    void countOverloadedLarge() {
        overloadedLarge.increment();
    }

    /** Counts a value left out of an answer of many keys because the node's answers hold all the bytes they may. */
    void countAnswerCut() {
        answersCut.increment();
    }

    /**
     * The answer to a value left out, with no partial answer to end instead (a read of a batch of forwarded reads),
     * because the node's answers hold all the bytes they may.
     */
    public static ApiProblem answerMemoryFull(Duration retryAfter) {
        return ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Overloaded", "this node's answers hold all the bytes they may"
                + " (logkv.shedding.max-answer-bytes-in-flight): ask again", retryAfter);
    }

    /** The answer to requests with a large body refused because the node works on {@code maxActive} of them already. */
    static ApiProblem overloadedLarge(int maxActive, long largeBytes, Duration retryAfter) {
        return ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Overloaded",
                "this node is already working on " + maxActive + " requests with a body of " + largeBytes
                        + " bytes or more (logkv.shedding.max-active-large)", retryAfter);
    }

    /** The answer to requests refused because the node works on {@code maxActive} requests already. */
    static ApiProblem overloaded(int maxActive, Duration retryAfter) {
        return ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Overloaded",
                "this node is already working on " + maxActive + " requests (logkv.shedding.max-active-requests)", retryAfter);
    }

    private static Counter counter(MeterRegistry meters, String reason, String limit, String operation) {
        return Counter.builder(METER)
                .description("Requests refused before they were served: over-quota (429, a client's or a namespace's rate used up)"
                        + " and overloaded (503, the node at logkv.shedding.max-active-requests or max-active-large)")
                .tag("reason", reason)
                .tag("limit", limit)
                .tag("operation", operation)
                .register(meters);
    }
}
