package io.logkv.query.keys;

import io.logkv.core.ProblemTypes;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.TimeToLive;
import io.logkv.query.problem.ApiProblem;
import java.time.Duration;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

/** What a PUT's content type and time to live become in the record it writes, or the problem they are. */
final class WriteValues {

    private static final String DEFAULT_CONTENT_TYPE = MediaType.APPLICATION_OCTET_STREAM_VALUE;

    private WriteValues() {
    }

    /** The value's content type: the request's, when it is a media type of printable ASCII that fits the envelope. */
    static String contentType(String header) {
        if (header == null || header.isBlank()) {
            return DEFAULT_CONTENT_TYPE;
        }
        try {
            MediaType.parseMediaType(header);
        } catch (InvalidMediaTypeException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_CONTENT_TYPE, "Content-Type is not a media type: " + e.getMessage());
        }
        if (header.length() > RecordEnvelope.MAX_CONTENT_TYPE_BYTES || !header.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_CONTENT_TYPE, "Content-Type must be at most "
                    + RecordEnvelope.MAX_CONTENT_TYPE_BYTES + " printable ASCII characters");
        }
        return header;
    }

    /**
     * When the value expires, in epoch milliseconds ({@link RecordEnvelope#NO_EXPIRY} for never).
     *
     * @param ttl              the request's {@code ttl}, or null for the namespace's default
     * @param namespaceDefault the namespace's default time to live (zero: none)
     * @param nowMs            the wall clock the time to live counts from
     */
    static long expiry(String ttl, Duration namespaceDefault, long nowMs) {
        Duration timeToLive;
        if (ttl != null) {
            try {
                timeToLive = TimeToLive.parse(ttl);
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_TTL, e.getMessage());
            }
        } else {
            timeToLive = namespaceDefault;
        }
        return timeToLive.isZero() ? RecordEnvelope.NO_EXPIRY : nowMs + timeToLive.toMillis();
    }
}
