package io.logkv.benchmark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes per transaction as the node itself counts them ({@code logkv.writer.batch.records}), scraped
 * from {@code /actuator/prometheus} so it works for an in-process node and a remote one alike.
 */
final class WriterMetrics {

    private static final Pattern COUNT = Pattern.compile("(?m)^logkv_writer_batch_records_count(?:\\{[^}]*})? (\\S+)$");
    private static final Pattern SUM = Pattern.compile("(?m)^logkv_writer_batch_records_sum(?:\\{[^}]*})? (\\S+)$");

    private final HttpKeys node;
    private double lastCount;
    private double lastSum;

    WriterMetrics(HttpKeys node) {
        this.node = node;
        take();
    }

    /** Mean writes per transaction since the last call; NaN when nothing committed or the metric is missing. */
    double take() {
        String text;
        try {
            text = node.text("/actuator/prometheus");
        } catch (Exception e) {
            return Double.NaN;
        }
        double count = sum(COUNT.matcher(text));
        double sum = sum(SUM.matcher(text));
        double transactions = count - lastCount;
        double records = sum - lastSum;
        lastCount = count;
        lastSum = sum;
        return transactions > 0 ? records / transactions : Double.NaN;
    }

    private static double sum(Matcher matcher) {
        double total = 0;
        while (matcher.find()) {
            total += Double.parseDouble(matcher.group(1));
        }
        return total;
    }
}
