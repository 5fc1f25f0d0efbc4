package io.logkv.benchmark.micro;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs the JMH micro-benchmarks of hot code paths and writes JMH's JSON and a Markdown summary to the results directory. */
public final class MicroBench {

    private MicroBench() {
    }

    /**
     * @param out     the results directory
     * @param forks   JVMs forked per benchmark (JMH's own isolation)
     * @param seconds seconds of each warm-up and measurement iteration
     */
    public static Path run(Path out, int forks, int seconds) throws RunnerException, java.io.IOException {
        Files.createDirectories(out);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path json = out.resolve("micro-" + stamp + ".json");
        Options options = new OptionsBuilder()
                .include(HotPathBenchmarks.class.getName())
                .forks(forks)
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(seconds))
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .build();
        Collection<RunResult> results = new Runner(options).run();
        StringBuilder markdown = new StringBuilder("# Micro-benchmarks of hot code paths (JMH)\n\n")
                .append(String.format(Locale.ROOT, "%d fork(s), 3 × %d s warm-up, 5 × %d s measured; JDK %s, %d cores.%n%n",
                        forks, seconds, seconds, Runtime.version(), Runtime.getRuntime().availableProcessors()))
                .append("| benchmark | ns/op | ± (99.9%) |\n|---|---:|---:|\n");
        for (RunResult result : results) {
            var primary = result.getPrimaryResult();
            markdown.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f |%n",
                    result.getParams().getBenchmark().replaceFirst(".*\\.", ""), primary.getScore(), primary.getScoreError()));
        }
        Path summary = out.resolve("micro-" + stamp + ".md");
        Files.writeString(summary, markdown);
        System.out.print(markdown);
        System.out.println("written: " + summary + " and " + json);
        return summary;
    }
}
