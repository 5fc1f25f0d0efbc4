package io.logkv.benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Every run of one case at one load, and the baseline it is compared with. Each figure reported is the
 * median of that figure over the runs, taken figure by figure: on a shared machine the run with the
 * median throughput need not be the one with the median tail.
 *
 * @param section  the path measured ("write", "read", …)
 * @param name     the case
 * @param load     the load it ran under ("16 clients", "50% of max", …)
 * @param baseline the case in the same section and load this one is compared with, or null for a baseline
 * @param ratio    which figure the comparison divides
 * @param runs     the runs, in the order they ran
 */
public record CaseFigures(String section, String name, String load, String baseline, Ratio ratio, List<RunSample> runs) {

    /** What "compared with the baseline" means for a case. */
    public enum Ratio {
        /** this case's throughput over the baseline's: 1.0 is as fast, higher is better */
        THROUGHPUT,
        /** this case's p99 over the baseline's: 1.0 is as fast, lower is better */
        P99
    }

    public CaseFigures {
        runs = new ArrayList<>(runs);
    }

    void add(RunSample run) {
        runs.add(run);
    }

    public double medianOpsPerSecond() {
        return median(RunSample::opsPerSecond);
    }

    public double medianP50Micros() {
        return median(RunSample::p50Micros);
    }

    public double medianP99Micros() {
        return median(RunSample::p99Micros);
    }

    public double medianP999Micros() {
        return median(RunSample::p999Micros);
    }

    public double medianRecordsPerTransaction() {
        return median(RunSample::recordsPerTransaction);
    }

    public long errors() {
        return runs.stream().mapToLong(RunSample::errors).sum();
    }

    /** The median of one figure over the runs that have it (NaN figures are left out). */
    public double median(ToDoubleFunction<RunSample> figure) {
        return Medians.of(runs.stream().mapToDouble(figure).toArray());
    }

    /**
     * This case's figure over the baseline's, as {@link #ratio()} says; NaN without a baseline. Runs are paired
     * by repetition (cases interleave within each repetition, so run i of both shared the machine's state): the
     * ratio is the median of the runs' ratios, not one median over another, which could pair a quiet run of one
     * with a busy run of the other. Cases with different run counts fall back to the ratio of the medians.
     */
    public double ratioTo(CaseFigures base) {
        if (base == null) {
            return Double.NaN;
        }
        ToDoubleFunction<RunSample> figure = ratio == Ratio.THROUGHPUT ? RunSample::opsPerSecond : RunSample::p99Micros;
        if (base.runs().size() != runs.size()) {
            return median(figure) / base.median(figure);
        }
        double[] paired = new double[runs.size()];
        for (int i = 0; i < paired.length; i++) {
            paired[i] = figure.applyAsDouble(runs.get(i)) / figure.applyAsDouble(base.runs().get(i));
        }
        return Medians.of(paired);
    }
}
