package io.logkv.deployment;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a LogKV node exports on {@code /actuator/prometheus}: what a live node answered
 * ({@link LiveNodeScrape}), and the LogKV meters its code registers only in some states, such as the
 * rebuild gauges ({@link DeclaredMeters}). Plus the series Prometheus itself adds to every target.
 */
record ExportedMetrics(Set<String> scraped, Set<String> declared) {

    /** Series Prometheus writes for every scrape target, whatever the target exports. */
    static final Set<String> PROMETHEUS_SERIES = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added");

    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");

    /** The sample names of a Prometheus text exposition. */
    static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        Matcher sample = SAMPLE.matcher(exposition);
        while (sample.find()) {
            names.add(sample.group(1));
        }
        return names;
    }

    boolean exports(String name) {
        return scraped.contains(name) || declared.contains(name) || PROMETHEUS_SERIES.contains(name);
    }

    /** Of {@code names}, those no node exports. */
    Set<String> unknown(Set<String> names) {
        Set<String> unknown = new TreeSet<>();
        names.stream().filter(name -> !exports(name)).forEach(unknown::add);
        return unknown;
    }
}
