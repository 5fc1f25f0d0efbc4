package io.logkv.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A namespace's settings, as recorded in the namespace registry topic.
 *
 * @param partitions the number of partitions of its truth topic (fixed once created)
 * @param defaultTtl the time to live of writes that name none, or {@link Duration#ZERO} for none
 */
public record NamespaceSettings(int partitions, Duration defaultTtl) {

    public static final int MAX_PARTITIONS = 1024;

    public NamespaceSettings {
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new IllegalArgumentException("partitions must be between 1 and " + MAX_PARTITIONS);
        }
        if (defaultTtl == null || defaultTtl.isNegative() || defaultTtl.compareTo(TimeToLive.MAX) > 0) {
            throw new IllegalArgumentException("defaultTtl must be between 0 and " + TimeToLive.MAX.toDays() + " days");
        }
    }

    /** Registry record bytes: {@code name=value} lines, so an operator can read them with any console consumer. */
    public byte[] encode() {
        return ("partitions=" + partitions + "\ndefaultTtlSeconds=" + defaultTtl.toSeconds() + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Parses {@link #encode()}'s form, ignoring names it does not know (written by newer versions). */
    public static NamespaceSettings decode(byte[] bytes) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        try {
            return new NamespaceSettings(Integer.parseInt(fields.getOrDefault("partitions", "")),
                    Duration.ofSeconds(Long.parseLong(fields.getOrDefault("defaultTtlSeconds", "0"))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed namespace settings", e);
        }
    }
}
