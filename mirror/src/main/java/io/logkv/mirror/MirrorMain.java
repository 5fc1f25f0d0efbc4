package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.LauncherWatchdog;
import io.logkv.core.RegionName;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The mirror as a process of its own ({@code bin/logkv mirror}): copies the selected namespaces' truth
 * topics from a source region's Kafka cluster into a target region's until it is stopped (SIGTERM closes
 * it; a SIGKILL loses nothing either, see {@link TopicMirror}).
 */
@Command(name = "mirror", mixinStandardHelpOptions = true,
        description = "Mirrors namespaces' truth topics from their home region into another region, exactly once.")
public final class MirrorMain implements Callable<Integer> {

    @Option(names = "--source-region", required = true, description = "name of the home region the namespaces are copied from")
    String sourceRegion;

    @Option(names = "--target-region", required = true, description = "name of the region they are copied into")
    String targetRegion;

    @Option(names = "--source-bootstrap-servers", required = true, description = "the source region's Kafka cluster")
    String sourceBootstrapServers;

    @Option(names = "--target-bootstrap-servers", required = true, description = "the target region's Kafka cluster")
    String targetBootstrapServers;

    @Option(names = "--source-kafka-client", paramLabel = "NAME=VALUE",
            description = "a Kafka client setting for reaching the source cluster (security.protocol, ssl.*, sasl.*); repeatable")
    Map<String, String> sourceKafkaClient = new LinkedHashMap<>();

    @Option(names = "--target-kafka-client", paramLabel = "NAME=VALUE",
            description = "a Kafka client setting for reaching the target cluster (security.protocol, ssl.*, sasl.*); repeatable")
    Map<String, String> targetKafkaClient = new LinkedHashMap<>();

    @Option(names = "--namespaces", split = ",", description = "namespaces to mirror (comma-separated); default: every namespace matching --namespace-pattern")
    List<String> namespaces = List.of();

    @Option(names = "--namespace-pattern", defaultValue = ".*", description = "regular expression of the namespaces to mirror when none are listed (default: ${DEFAULT-VALUE})")
    String namespacePattern;

    @Option(names = "--rescan-interval-ms", defaultValue = "10000", description = "how often the source's namespaces are listed again (default: ${DEFAULT-VALUE})")
    long rescanIntervalMs;

    @Option(names = "--max-poll-records", defaultValue = "2000", description = "records per poll of the source (default: ${DEFAULT-VALUE})")
    int maxPollRecords;

    @Option(names = "--commit-interval-ms", defaultValue = "100",
            description = "how long a transaction takes polls before it commits; a poll that finds nothing new commits at once; "
                    + "0: one poll per transaction (default: ${DEFAULT-VALUE})")
    long commitIntervalMs;

    @Option(names = "--max-transaction-records", defaultValue = "50000",
            description = "a transaction takes no further poll once it holds this many records (default: ${DEFAULT-VALUE})")
    int maxTransactionRecords;

    @Option(names = "--transaction-timeout-ms", defaultValue = "30000", description = "the target aborts a mirror transaction left open this long (default: ${DEFAULT-VALUE})")
    long transactionTimeoutMs;

    @Option(names = "--heartbeat-interval-ms", defaultValue = "1000",
            description = "how often a quiet, caught-up partition's position is committed with a fresh caught-up time (default: ${DEFAULT-VALUE})")
    long heartbeatIntervalMs;

    @Option(names = "--home-lease-ms", defaultValue = "30000",
            description = "how long each grant of the source region's home lease lasts: the source's nodes acknowledge writes only while"
                    + " this mirror renews it (every quarter of it, at most every heartbeat), and a forced promotion of the target waits it out (default: ${DEFAULT-VALUE})")
    long homeLeaseMs;

    @Option(names = "--max-clock-skew-ms", defaultValue = "1000",
            description = "how far the clocks of the source's nodes, the mirror and a promotion may differ (default: ${DEFAULT-VALUE})")
    long maxClockSkewMs;

    @Option(names = "--metrics-port", defaultValue = "9464", description = "port of GET /metrics (Prometheus text format); -1: none (default: ${DEFAULT-VALUE})")
    int metricsPort;

    @Option(names = "--commit-delay-ms", hidden = true, defaultValue = "0",
            description = "fault tests only: wait this long before each commit, so that a crash leaves a transaction open")
    long commitDelayMs;

    @Option(names = "--exit-when-stdin-ends", description = "exit when standard input ends (the launcher that started this process is gone)")
    boolean exitWhenStdinEnds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MirrorMain()).execute(args));
    }

    MirrorSettings settings() {
        NamespaceSelection selection = namespaces.isEmpty() ? NamespaceSelection.matching(namespacePattern) : NamespaceSelection.of(namespaces);
        return MirrorSettings.of(new RegionName(sourceRegion), new RegionName(targetRegion),
                        new KafkaConnection(sourceBootstrapServers, sourceKafkaClient),
                        new KafkaConnection(targetBootstrapServers, targetKafkaClient), selection)
                .withRescan(Duration.ofMillis(rescanIntervalMs))
                .withHeartbeat(Duration.ofMillis(heartbeatIntervalMs))
                .withMaxPollRecords(maxPollRecords)
                .withTransactions(Duration.ofMillis(commitIntervalMs), maxTransactionRecords)
                .withTransactionTimeout(Duration.ofMillis(transactionTimeoutMs))
                .withHomeLease(Duration.ofMillis(homeLeaseMs), Duration.ofMillis(maxClockSkewMs));
    }

    @Override
    public Integer call() throws InterruptedException, IOException {
        CountDownLatch stopped = new CountDownLatch(1);
        MirrorHooks hooks = commitDelayMs == 0 ? MirrorHooks.NONE : topic -> Thread.sleep(commitDelayMs);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MirrorMetricsEndpoint metrics = metricsPort < 0 ? null : new MirrorMetricsEndpoint(meters, metricsPort);
        Mirror mirror = new Mirror(settings(), meters, hooks);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            mirror.close();
            if (metrics != null) {
                metrics.close();
            }
            stopped.countDown();
        }, "mirror-shutdown"));
        if (exitWhenStdinEnds) {
            LauncherWatchdog.exitAtEndOfInput();
        }
        mirror.start();
        stopped.await();
        return 0;
    }
}
