package io.logkv.query.read;

import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import java.util.Locale;

/** The {@code consistency} a read asks for (API.md). */
public enum ReadConsistency {
    /** Any replica, no waiting. */
    EVENTUAL,
    /** The replica must have applied the request's token: read-your-writes and monotonic reads. */
    SESSION,
    /** Linearizable: the replica must have applied the log's committed end as of the read's start. */
    STRONG;

    /** Parses the query parameter; absent means eventual, or session when the request carries a token. */
    public static ReadConsistency parse(String text, boolean hasToken) {
        if (text == null || text.isEmpty()) {
            return hasToken ? SESSION : EVENTUAL;
        }
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_CONSISTENCY, "consistency must be eventual, session or strong");
        }
    }
}
