package io.logkv.query.api;

import io.logkv.core.ApiHeaders;
import io.logkv.query.admission.AnswerMemory;
import io.logkv.query.problem.ApiProblem;

/**
 * The bytes of values an answer that reads many keys may carry ({@code logkv.replicas.max-answer-bytes}): the bound
 * a request is served under, and the budget one part of its answer spends.
 */
final class AnswerBytes {

    private AnswerBytes() {
    }

    /**
     * The bound a request is served under: the node's own, or less when another node asks with {@code value_bytes}
     * (its share of an answer it merges), which only nodes may send.
     *
     * @param problemType the problem a bad {@code value_bytes} answers with
     */
    static long bound(String valueBytes, boolean forwarded, long maxAnswerBytes, String problemType) {
        if (valueBytes == null) {
            return maxAnswerBytes;
        }
        if (!forwarded) {
            throw ApiProblem.badRequest(problemType, "value_bytes is for nodes only (" + ApiHeaders.FORWARDED_BY + ")");
        }
        try {
            long value = Long.parseLong(valueBytes);
            if (value >= 1) {
                return Math.min(maxAnswerBytes, value);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest(problemType, "value_bytes must be a whole number of bytes, at least 1");
    }

    /**
     * Bytes of values one part of an answer may hold: the first value taken always, any other while it fits in the
     * part's share and the node's answers have room for it ({@link AnswerMemory}), whose grant holds them.
     */
    static final class Budget {
        private final long share;
        private final AnswerMemory.Grant grant;
        private long taken;
        private boolean any;

        Budget(long share, AnswerMemory.Grant grant) {
            this.share = share;
            this.grant = grant;
        }

        synchronized boolean take(long bytes) {
            if (any && taken + bytes > share || !grant.take(bytes, !any)) {
                return false;
            }
            any = true;
            taken += bytes;
            return true;
        }
    }
}
