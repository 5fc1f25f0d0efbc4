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

    /** This case's figure over the baseline's, as {@link #ratio()} says; NaN without a baseline. */
    public double ratioTo(CaseFigures base) {
        if (base == null) {
            return Double.NaN;
        }
        return ratio == Ratio.THROUGHPUT ? medianOpsPerSecond() / base.medianOpsPerSecond()
                : medianP99Micros() / base.medianP99Micros();
    }
}
