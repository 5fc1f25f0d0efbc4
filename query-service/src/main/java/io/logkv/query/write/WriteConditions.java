package io.logkv.query.write;

import io.logkv.core.ApiHeaders;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.ProblemTypes;
import io.logkv.core.Version;
import io.logkv.core.WriteCondition;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.request.KeyRequest;

/** Reads a write's precondition ({@code If-Match} / {@code If-None-Match}) and {@code Idempotency-Key} (API.md). */
public final class WriteConditions {

    private WriteConditions() {
    }

    /** The request's {@code Idempotency-Key}: 1 to 256 bytes of printable ASCII, or null when absent. */
    public static String idempotencyKey(KeyRequest request) {
        String key = request.header(ApiHeaders.IDEMPOTENCY_KEY);
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > IdempotentOutcome.MAX_KEY_BYTES || !key.chars().allMatch(c -> c >= 0x21 && c < 0x7f)) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_IDEMPOTENCY_KEY,
                    "Idempotency-Key must be 1 to " + IdempotentOutcome.MAX_KEY_BYTES + " printable ASCII characters without spaces");
        }
        return key;
    }

    public static WriteCondition of(KeyRequest request) {
        String ifMatch = request.header("If-Match");
        String ifNoneMatch = request.header("If-None-Match");
        if (ifMatch != null && ifNoneMatch != null) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_CONDITION, "a write may carry If-Match or If-None-Match, not both");
        }
        if (ifNoneMatch != null) {
            if (!ifNoneMatch.strip().equals("*")) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_CONDITION, "on writes, If-None-Match must be * (put-if-absent)");
            }
            return WriteCondition.ABSENT;
        }
        if (ifMatch != null) {
            String tag = ifMatch.strip();
            if (tag.equals("*")) {
                return WriteCondition.PRESENT;
            }
            if (tag.length() < 2 || !tag.startsWith("\"") || !tag.endsWith("\"")) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_CONDITION, "If-Match must be a quoted version, as ETag gives it, or *");
            }
            try {
                return WriteCondition.matching(Version.parse(tag.substring(1, tag.length() - 1)));
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_CONDITION, "If-Match names no version LogKV issued: " + e.getMessage());
            }
        }
        return WriteCondition.NONE;
    }
}
