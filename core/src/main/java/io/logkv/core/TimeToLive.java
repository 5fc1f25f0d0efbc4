package io.logkv.core;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the {@code ttl} of API.md: {@code 90s}, {@code 15m}, {@code 2h}, {@code 7d} or plain seconds. */
public final class TimeToLive {

    /** The longest time to live accepted: about 100 years, far below any overflow. */
    public static final Duration MAX = Duration.ofDays(36_500);

    private static final Pattern FORM = Pattern.compile("([0-9]{1,12})([smhd]?)");

    private TimeToLive() {
    }

    /** The duration named by {@code text}; throws {@link IllegalArgumentException} when malformed. */
    public static Duration parse(String text) {
        Matcher m = text == null ? null : FORM.matcher(text.strip());
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("ttl is a positive number of seconds, or a number followed by s, m, h or d");
        }
        long amount = Long.parseLong(m.group(1));
        Duration ttl = switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
        if (ttl.isZero() || ttl.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("ttl must be between 1 second and " + MAX.toDays() + " days");
        }
        return ttl;
    }
}
