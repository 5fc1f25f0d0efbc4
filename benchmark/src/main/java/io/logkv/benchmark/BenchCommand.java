package io.logkv.benchmark;

import io.logkv.materializer.PartitionStore;
import io.logkv.testkit.KafkaTestCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/logkv bench}: every path of LogKV measured against the machine's own limits in one run,
 * with medians of several runs and ratios to baselines measured side by side, written to bench/results/.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures LogKV's write and read paths against raw Kafka, raw RocksDB, an empty HTTP handler and Redis.")
public final class BenchCommand implements Callable<Integer> {

    /** What to measure. */
    enum Only { all, write, read, rebuild, micro, mirror }

    @Option(names = "--only", description = "all (write and read), write, read, rebuild (the rebuild spike), micro "
            + "(JMH micro-benchmarks of hot code paths) or mirror (LogKV's mirror against MirrorMaker 2 between two "
            + "clusters). Default: ${DEFAULT-VALUE}")
    Only only = Only.all;

    @Option(names = "--keys", description = "keys loaded before the read benchmark (10000000 for the memory check at scale). Default: ${DEFAULT-VALUE}")
    long keys = 1_000_000;

    @Option(names = "--mirror-records", description = "records of every topic the mirror comparison copies. Default: ${DEFAULT-VALUE}")
    long mirrorRecords = 200_000;

    @Option(names = "--mirror-lag-rates", split = ",", description = "fixed write rates (records/s) at which the mirror's lag "
            + "is measured too, besides half the mirror's own steady rate: half the region's top write rate through LogKV, say. Default: none")
    List<Integer> mirrorLagRates = List.of();

    @Option(names = "--value-bytes", description = "bytes of every value. Default: ${DEFAULT-VALUE}")
    int valueBytes = 1024;

    @Option(names = "--repeats", description = "runs of every case; medians are reported. Default: ${DEFAULT-VALUE}")
    int repeats = 3;

    @Option(names = "--write-clients", split = ",", description = "concurrent closed-loop writers, one measurement each. Default: 1,16,64")
    List<Integer> writeClients = List.of(1, 16, 64);

    @Option(names = "--read-clients", description = "concurrent closed-loop readers (and Redis clients). Default: ${DEFAULT-VALUE}")
    int readClients = 16;

    @Option(names = "--rates", split = ",", description = "fixed read rates, in percent of the measured maximum. Default: 25,50,75")
    List<Integer> ratePercents = List.of(25, 50, 75);

    @Option(names = "--seconds", description = "timed seconds of every run. Default: ${DEFAULT-VALUE}")
    int seconds = 5;

    @Option(names = "--warm-up-seconds", description = "untimed seconds before every run. Default: ${DEFAULT-VALUE}")
    int warmUpSeconds = 2;

    @Option(names = "--session-samples", description = "write-then-session-read pairs per repetition. Default: ${DEFAULT-VALUE}")
    int sessionSamples = 200;

    @Option(names = "--partitions", description = "partitions of the benchmark's namespaces and topics. Default: ${DEFAULT-VALUE}")
    int partitions = 6;

    @Option(names = "--url", description = "measure this running node (e.g. http://localhost:8080) instead of starting Kafka and nodes in-process")
    String url;

    @Option(names = "--bootstrap-servers", description = "with --url: the node's Kafka, for the raw-producer baselines")
    String bootstrapServers;

    @Option(names = "--out", description = "where the Markdown and JSON reports go. Default: ${DEFAULT-VALUE}")
    Path out = Path.of(System.getProperty("logkv.bench.results", "bench/results"));

    @Option(names = "--work-dir", description = "where nodes keep their replicas (default: a temporary directory, deleted afterwards)")
    Path workDir;

    public static void main(String[] args) {
        int exit = new CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        // In-process brokers and HTTP clients leave threads behind; the results are written by now.
        System.exit(exit);
    }

    @Override
    public Integer call() throws Exception {
        if (only == Only.rebuild) {
            runRebuildSpike();
            return 0;
        }
        if (only == Only.mirror) {
            MirrorComparison.run(mirrorRecords, valueBytes, partitions, repeats, mirrorLagRates, out);
            return 0;
        }
        if (only == Only.micro) {
            io.logkv.benchmark.micro.MicroBench.run(out, 1, Math.max(1, seconds / 5));
            return 0;
        }
        Path work = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("logkv-bench");
        BenchSettings settings = new BenchSettings(writeClients, readClients,
                ratePercents.stream().map(p -> p / 100.0).toList(), keys, valueBytes, partitions, repeats,
                Duration.ofSeconds(warmUpSeconds), Duration.ofSeconds(seconds), sessionSamples, url, bootstrapServers, work);
        String startedAt = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"));
        String machine = MachineDescription.describe() + settingsDescription(settings);
        System.out.print(machine);
        BenchResults results = new BenchResults();
        boolean writes = only == Only.all || only == Only.write;
        boolean reads = only == Only.all || only == Only.read;
        BenchProgress progress = new BenchProgress((writes ? WritePathBench.plannedSteps(settings) : 0)
                + (reads ? ReadPathBench.plannedSteps(settings) : 0));
        KafkaTestCluster cluster = null;
        try {
            String bootstrap = bootstrapServers;
            Admin admin = null;
            if (url == null) {
                progress.say("starting 3 in-process Kafka brokers (RF 3, min ISR 2)");
                cluster = KafkaTestCluster.start(3);
                bootstrap = cluster.bootstrapServers();
                admin = cluster.admin();
            } else if (bootstrap != null) {
                admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
            }
            if (writes) {
                new WritePathBench(settings, bootstrap, admin, results, progress).run();
            }
            if (reads) {
                new ReadPathBench(settings, bootstrap, admin, results, progress).run();
            }
            if (url != null && admin != null) {
                admin.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            if (workDir == null) {
                PartitionStore.deleteRecursively(work);
            }
        }
        write(new BenchReport(results, machine, commandLine(), startedAt));
        return 0;
    }

    private void write(BenchReport report) throws IOException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Files.createDirectories(out);
        Path markdown = out.resolve("bench-" + stamp + ".md");
        Path json = out.resolve("bench-" + stamp + ".json");
        String text = report.markdown();
        Files.writeString(markdown, text, StandardCharsets.UTF_8);
        Files.writeString(json, report.json(), StandardCharsets.UTF_8);
        System.out.println();
        System.out.print(text);
        System.out.println("written: " + markdown + " and " + json);
    }

    private String settingsDescription(BenchSettings s) {
        return String.format(Locale.ROOT,
                "- Kafka: %s%n- Settings: %d runs of every case (medians reported), %d s warm-up + %d s timed each; "
                        + "values %d bytes; write clients %s; read clients %d; fixed rates %s%% of max; %,d keys; "
                        + "%d partitions; %d write/read pairs per run for read-after-write%n",
                url == null ? "3 in-process KRaft brokers in this JVM (RF 3, min ISR 2, add.partitions.to.txn.retry.backoff.ms=2), "
                        + "LogKV nodes in this JVM too, all sharing its cores" : "the node at " + url,
                s.repeats(), s.warmUp().toSeconds(), s.measure().toSeconds(), s.valueBytes(), s.writeClients(),
                s.readClients(), ratePercents, s.keys(), s.partitions(), s.sessionSamples());
    }

    private String commandLine() {
        return String.format(Locale.ROOT, "bin/logkv bench --only %s --keys %d --value-bytes %d --repeats %d "
                        + "--write-clients %s --read-clients %d --rates %s --seconds %d --warm-up-seconds %d --session-samples %d --partitions %d%s",
                only, keys, valueBytes, repeats, join(writeClients), readClients, join(ratePercents), seconds, warmUpSeconds,
                sessionSamples, partitions, url == null ? "" : " --url " + url);
    }

    private static String join(List<Integer> values) {
        return String.join(",", values.stream().map(String::valueOf).toList());
    }

    /** The rebuild spike of ADR 0001, sized by this command's options; it prints its own report. */
    private void runRebuildSpike() throws IOException {
        System.setProperty("spike.records", Long.toString(keys));
        System.setProperty("spike.valueBytes", Integer.toString(valueBytes));
        System.setProperty("spike.repeats", Integer.toString(repeats));
        System.setProperty("spike.partitions", Integer.toString(partitions));
        RebuildSpike.main(new String[0]);
    }
}
