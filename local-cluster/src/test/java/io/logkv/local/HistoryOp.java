package io.logkv.local;

import java.util.Locale;

/**
 * One operation of a fault run's history: what the client invoked and what it learned, with the times of
 * both. A write retried under its {@code Idempotency-Key} is one operation, from its first attempt's start
 * to its last attempt's answer, with that last answer.
 *
 * @param id             unique in the run; a write's value and {@code Idempotency-Key} carry it
 * @param client         the client (session) that made it
 * @param node           the node the last attempt went to
 * @param invokedNanos   the first attempt's start (System.nanoTime)
 * @param returnedNanos  the last attempt's answer
 * @param returnedEpochMs the same, wall clock (compared with the time in a committed version)
 * @param condition      {@code *} (If-None-Match), a version (If-Match), or null
 * @param idempotencyKey the write's {@code Idempotency-Key}, or null
 * @param value          the value a PUT wrote, null otherwise
 * @param expectedValue  for a compare-and-set, the value it read before (null: absent)
 * @param attempts       how many requests the operation took
 * @param status         the last answer's HTTP status, -1 when none came
 * @param problem        the last answer's problem type, or its transport error, or null
 * @param version        ETag: the version written (writes) or read (reads), or null
 * @param observedValue  the value a read got (200), or null
 * @param tokenSent      the KV-Token header the last attempt carried, or null
 * @param tokenReceived  the KV-Token of the last answer, or null
 * @param unexpected     why the answer is one the API does not allow, or null
 */
record HistoryOp(long id, String client, Kind kind, String key, String node, long invokedNanos, long returnedNanos,
                 long returnedEpochMs, String condition, String idempotencyKey, String value, String expectedValue, int attempts,
                 Outcome outcome, int status, String problem, String version, String observedValue, String tokenSent,
                 String tokenReceived, String unexpected) {

    enum Kind {
        /**
         * PUT, put-if-absent, DELETE, compare-and-set and conditional delete over HTTP; {@code TTL_PUT} is a PUT
         * with {@code ?ttl=}; {@code INGEST_PUT} a record produced to the namespace's ingest topic, whose
         * acknowledgement is Kafka's (the owner applies it later), and whose answer carries no version.
         */
        PUT, PUT_IF_ABSENT, DELETE, CAS_PUT, CAS_DELETE, TTL_PUT, INGEST_PUT, SESSION_READ, STRONG_READ;

        boolean isRead() {
            return this == SESSION_READ || this == STRONG_READ;
        }

        boolean isDelete() {
            return this == DELETE || this == CAS_DELETE;
        }

        boolean isIngest() {
            return this == INGEST_PUT;
        }
    }

    enum Outcome {
        /** A write acknowledged (200, 204); an ingest record acknowledged by Kafka ({@code acks=all}). */
        ACK,
        /** A conditional write answered 412: it did not take effect. */
        CONDITION_FAILED,
        /** A write that certainly did not take effect: 503 write-failed, or the connection was refused. */
        FAILED,
        /** A write whose outcome is unknown: another 503/504, a lost connection, no answer. */
        AMBIGUOUS,
        /** A read answered 200 or 404. */
        OBSERVED,
        /** A read answered 503/504 or not at all. */
        UNAVAILABLE
    }

    /** The operation id a written value carries: values are {@code op=<id>;...}. */
    static long idInValue(String value) {
        if (value == null || !value.startsWith("op=")) {
            return -1;
        }
        int end = value.indexOf(';');
        try {
            return Long.parseLong(value.substring(3, end < 0 ? value.length() : end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The time to live (ms) a written value says it was written with ({@code op=<id>;ttl=<ms>;...}), or 0. */
    static long ttlMsInValue(String value) {
        if (value == null) {
            return 0;
        }
        int at = value.indexOf(";ttl=");
        if (at < 0) {
            return 0;
        }
        int end = value.indexOf(';', at + 5);
        try {
            return Long.parseLong(value.substring(at + 5, end < 0 ? value.length() : end));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The wall-clock time of the invocation (epoch ms), from the answer's and the operation's length. */
    long invokedEpochMs() {
        return returnedEpochMs - (returnedNanos - invokedNanos) / 1_000_000;
    }

    /** The operation id an {@code Idempotency-Key} carries: keys are {@code op-<id>}. */
    static long idInIdempotencyKey(String idempotencyKey) {
        if (idempotencyKey == null || !idempotencyKey.startsWith("op-")) {
            return -1;
        }
        try {
            return Long.parseLong(idempotencyKey.substring(3));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    boolean observedAbsent() {
        return outcome == Outcome.OBSERVED && status == 404;
    }

    /** One tab-separated line of the history file (times in ms after {@code originNanos}). */
    String line(long originNanos) {
        return String.join("\t", String.valueOf(id), client, kind.name(), key, String.valueOf(node),
                String.format(Locale.ROOT, "%.3f", (invokedNanos - originNanos) / 1e6),
                String.format(Locale.ROOT, "%.3f", (returnedNanos - originNanos) / 1e6),
                String.valueOf(condition), String.valueOf(idempotencyKey), String.valueOf(attempts), outcome.name(),
                String.valueOf(status), String.valueOf(problem), String.valueOf(version), abbreviate(value), abbreviate(expectedValue),
                abbreviate(observedValue), String.valueOf(tokenSent), String.valueOf(tokenReceived), String.valueOf(unexpected));
    }

    static String header() {
        return String.join("\t", "id", "client", "kind", "key", "node", "invoked_ms", "returned_ms", "condition", "idempotency_key",
                "attempts", "outcome", "status", "problem", "version", "value", "expected_value", "observed_value", "token_sent",
                "token_received", "unexpected");
    }

    /** One line for a report. */
    String describe() {
        return String.format(Locale.ROOT, "op %d %s %s %s via %s%s: %s %d%s, version %s (attempts %d, %.0f ms)", id, client, kind, key, node,
                condition == null ? "" : " if " + condition, outcome, status, problem == null ? "" : " " + problem, version, attempts,
                (returnedNanos - invokedNanos) / 1e6);
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "null";
        }
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
