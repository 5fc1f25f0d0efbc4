package io.logkv.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A namespace's settings, as recorded in the namespace registry topic.
 *
 * @param partitions the number of partitions of its truth topic (fixed once created)
 * @param defaultTtl the time to live of writes that name none, or {@link Duration#ZERO} for none
 * @param home       the region that takes the namespace's writes, or null for the region whose registry
 *                   holds these settings (a namespace created there). A mirror that copies a namespace into
 *                   another region registers it there with its home, and that region's nodes serve it as a
 *                   copy: reads only.
 * @param copyWrites what a copy's nodes do with a write of the namespace: forward it to the home region or
 *                   refuse it naming the home region; null leaves it to each node ({@code logkv.region.forward-writes})
 */
public record NamespaceSettings(int partitions, Duration defaultTtl, RegionName home, CopyWrites copyWrites) {

    /** What a region holding a copy does with a write of the namespace. */
    public enum CopyWrites {
        /** Passes it to a node of the home region and relays the answer. */
        FORWARD,
        /** Answers {@code 421 not-home-region}, naming the home region. */
        REFUSE;

        /** Its name in the registry and the API: {@code forward}, {@code refuse}. */
        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The choice named {@code text} (any case); null for none, or for one this version does not know. */
        public static CopyWrites of(String text) {
            for (CopyWrites choice : values()) {
                if (choice.name().equalsIgnoreCase(text)) {
                    return choice;
                }
            }
            return null;
        }
    }

    public static final int MAX_PARTITIONS = 1024;

    public NamespaceSettings {
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new IllegalArgumentException("partitions must be between 1 and " + MAX_PARTITIONS);
        }
        if (defaultTtl == null || defaultTtl.isNegative() || defaultTtl.compareTo(TimeToLive.MAX) > 0) {
            throw new IllegalArgumentException("defaultTtl must be between 0 and " + TimeToLive.MAX.toDays() + " days");
        }
    }

    /** Settings of a namespace whose home is the region that holds them. */
    public NamespaceSettings(int partitions, Duration defaultTtl) {
        this(partitions, defaultTtl, null, null);
    }

    /** Settings with a home region and no choice about writes to copies. */
    public NamespaceSettings(int partitions, Duration defaultTtl, RegionName home) {
        this(partitions, defaultTtl, home, null);
    }

    /** The same settings with another home region (null: the region that holds them). */
    public NamespaceSettings withHome(RegionName region) {
        return new NamespaceSettings(partitions, defaultTtl, region, copyWrites);
    }

    /** The same settings with another choice for writes to copies (null: each node's). */
    public NamespaceSettings withCopyWrites(CopyWrites choice) {
        return new NamespaceSettings(partitions, defaultTtl, home, choice);
    }

    /**
     * Whether a node of {@code region} (null when its region has no name) serves this namespace as a copy of
     * another region's: it takes no writes for it, owns none of its partitions, and serves reads from the
     * mirrored truth.
     */
    public boolean homeElsewhere(RegionName region) {
        return home != null && !home.equals(region);
    }

    /** Registry record bytes: {@code name=value} lines, so an operator can read them with any console consumer. */
    public byte[] encode() {
        return ("partitions=" + partitions + "\ndefaultTtlSeconds=" + defaultTtl.toSeconds() + "\n"
                + (home == null ? "" : "homeRegion=" + home + "\n")
                + (copyWrites == null ? "" : "copyWrites=" + copyWrites.text() + "\n")).getBytes(StandardCharsets.UTF_8);
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
            String home = fields.get("homeRegion");
            String copyWrites = fields.get("copyWrites");
            return new NamespaceSettings(Integer.parseInt(fields.getOrDefault("partitions", "")),
                    Duration.ofSeconds(Long.parseLong(fields.getOrDefault("defaultTtlSeconds", "0"))),
                    home == null || home.isEmpty() ? null : new RegionName(home),
                    CopyWrites.of(copyWrites));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed namespace settings", e);
        }
    }
}
