package io.logkv.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CaseFiguresTest {

    private static RunSample run(double opsPerSecond, double p99Micros) {
        return new RunSample(opsPerSecond, 100, p99Micros, Double.NaN, 1, 0, Double.NaN);
    }

    @Test
    void medianIsTheMiddleValueAndTheMeanOfTheTwoMiddleOnesForEvenCounts() {
        assertThat(Medians.of(3, 1, 2)).isEqualTo(2);
        assertThat(Medians.of(4, 1, 3, 2)).isEqualTo(2.5);
    }

    @Test
    void unmeasuredFiguresAreLeftOutOfTheMedian() {
        assertThat(Medians.of(Double.NaN, 5, 7)).isEqualTo(6);
        assertThat(Medians.of(Double.NaN)).isNaN();
    }

    @Test
    void eachFigureIsItsOwnMedianAcrossRuns() {
        CaseFigures figures = new CaseFigures("read", "x", "16 clients", null, CaseFigures.Ratio.THROUGHPUT,
                List.of(run(100, 9_000), run(300, 1_000), run(200, 5_000)));
        assertThat(figures.medianOpsPerSecond()).isEqualTo(200);
        assertThat(figures.medianP99Micros()).isEqualTo(5_000);
    }

    @Test
    void throughputRatioDividesByTheBaselineAndP99RatioDividesTails() {
        CaseFigures baseline = new CaseFigures("write", "raw", "16 clients", null, CaseFigures.Ratio.THROUGHPUT, List.of(run(1000, 2_000)));
        CaseFigures faster = new CaseFigures("write", "put", "16 clients", "raw", CaseFigures.Ratio.THROUGHPUT, List.of(run(800, 4_000)));
        CaseFigures tail = new CaseFigures("write", "put", "16 clients", "raw", CaseFigures.Ratio.P99, List.of(run(800, 4_000)));
        assertThat(faster.ratioTo(baseline)).isEqualTo(0.8);
        assertThat(tail.ratioTo(baseline)).isEqualTo(2.0);
        assertThat(faster.ratioTo(null)).isNaN();
    }

    @Test
    void aRatioPairsTheRunsOfOneRepetitionAndTakesTheMedianOfThosePairs() {
        // Repetition 2 was slow for both (a busy machine), repetition 1 for the baseline only.
        CaseFigures baseline = new CaseFigures("write", "raw", "16 clients", null, CaseFigures.Ratio.THROUGHPUT,
                List.of(run(300, 1), run(100, 1), run(200, 1)));
        CaseFigures put = new CaseFigures("write", "put", "16 clients", "raw", CaseFigures.Ratio.THROUGHPUT,
                List.of(run(100, 1), run(200, 1), run(300, 1)));
        // Per repetition: 100/300, 200/100, 300/200 -> median 1.5; the medians alone (200/200) would say 1.0.
        assertThat(put.ratioTo(baseline)).isEqualTo(1.5);
    }

    @Test
    void baselineIsFoundUnderTheSameSectionAndLoad() {
        BenchResults results = new BenchResults();
        results.add("write", "raw", "1 client", null, CaseFigures.Ratio.THROUGHPUT, run(100, 1));
        results.add("write", "raw", "16 clients", null, CaseFigures.Ratio.THROUGHPUT, run(1000, 1));
        results.add("write", "put", "16 clients", "raw", CaseFigures.Ratio.THROUGHPUT, run(500, 1));
        CaseFigures put = results.section("write").get(2);
        assertThat(put.ratioTo(results.baselineOf(put))).isEqualTo(0.5);
    }

    @Test
    void redisBenchmarkCsvIsRead() {
        var figures = RedisBaseline.parseCsv("""
                "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
                "SET","46728.97","0.233","0.040","0.215","0.391","0.743","3.375"
                "GET","74074.07","0.119","0.048","0.119","0.167","0.263","0.583"
                """);
        assertThat(figures.get("GET").opsPerSecond()).isEqualTo(74074.07);
        assertThat(figures.get("GET").p99Ms()).isEqualTo(0.263);
        assertThat(figures.get("SET").p50Ms()).isEqualTo(0.215);
    }

    @Test
    void readKeysAreNamedAsTheLoaderNamesThem() {
        assertThat(ReadPathBench.keyName(42)).isEqualTo(String.format("key-%010d", 42));
        assertThat(ReadPathBench.keyName(12_345_678_901L)).isEqualTo(String.format("key-%010d", 12_345_678_901L));
    }
}
