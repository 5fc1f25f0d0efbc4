package io.logkv.client.http;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;

/**
 * The wait a {@code Retry-After} field asks for (RFC 9110, section 10.2.3): a number of seconds, or an HTTP-date in
 * any of the three formats a recipient must accept (section 5.6.7), less the time now. Nodes send seconds; a proxy
 * or balancer in front of them may send a date.
 */
final class RetryAfter {

    /**
     * {@code Sun, 06 Nov 1994 08:49:37 GMT}, the format senders use; a day of one digit is taken too, as the JDK's
     * {@link DateTimeFormatter#RFC_1123_DATE_TIME} writes it.
     */
    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH);
    /** {@code Sun Nov  6 08:49:37 1994}, obsolete (C's asctime). */
    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ENGLISH);
    private static final int MAX_SECONDS_DIGITS = 18; // fits a long

    private RetryAfter() {
    }

    /** The wait an answer's {@code Retry-After} asks for, from now, or null when it has none or none that means a time. */
    static Duration of(java.net.http.HttpHeaders headers) {
        return headers.firstValue(StandardHeaders.RETRY_AFTER).map(value -> parse(value, Instant.now())).orElse(null);
    }

    /**
     * The wait {@code value} asks for at {@code now}: zero for a date already past, null for a value that is
     * neither seconds nor an HTTP-date (as if the field were absent).
     */
    static Duration parse(String value, Instant now) {
        String text = value.strip();
        if (!text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            // More seconds than a long holds is as good as forever: bounded by the request's deadline anyway.
            return text.length() > MAX_SECONDS_DIGITS ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.ofSeconds(Long.parseLong(text));
        }
        for (DateTimeFormatter format : List.of(IMF_FIXDATE, rfc850(now), ASCTIME)) {
            try {
                Instant date = LocalDateTime.parse(text, format).toInstant(ZoneOffset.UTC);
                return date.isAfter(now) ? Duration.between(now, date) : Duration.ZERO;
            } catch (DateTimeParseException notThisFormat) {
                // the next format, or none
            }
        }
        return null;
    }

    /**
     * {@code Sunday, 06-Nov-94 08:49:37 GMT}, obsolete: its two-digit year is the one within 50 years ahead of
     * {@code now} or, failing that, the most recent past one with the same last two digits.
     */
    private static DateTimeFormatter rfc850(Instant now) {
        int year = now.atOffset(ZoneOffset.UTC).getYear();
        return new DateTimeFormatterBuilder()
                .appendPattern("EEEE, dd-MMM-")
                .appendValueReduced(ChronoField.YEAR, 2, 2, year - 49)
                .appendPattern(" HH:mm:ss 'GMT'")
                .toFormatter(Locale.ENGLISH);
    }
}
