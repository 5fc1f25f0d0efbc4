package io.logkv.local;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.RegionName;
import io.logkv.mirror.CopyRelease;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.mirror.PromotionIncompleteException;
import io.logkv.mirror.PromotionRefusedException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/logkv release-copy NAMESPACE --region b}: region b holds the namespace's copy no more, and the home
 * writes it without region b's lease ({@link CopyRelease}; docs/operations.md, "The home lease"). The clusters
 * default to those of a local run with {@code --regions 2}. Exit codes: 0 released, 1 a cluster could not be
 * reached (run it again), 2 usage, 3 refused.
 */
@Command(name = "release-copy", mixinStandardHelpOptions = true,
        description = "Gives up a region's copy of a namespace: its mirror is stopped for good, the region drops the copy, and the"
                + " home writes without that region's home lease.")
final class ReleaseCopyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAMESPACE", description = "The namespace whose copy is released.")
    String namespace;

    @Option(names = "--region", required = true, description = "The region whose copy is released.")
    String region;

    @Option(names = "--home", paramLabel = "REGION", description = "The namespace's home region (default: the local run's other region).")
    String home;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "The copy's region's Kafka cluster (default: the local run's, localhost:19092 for region a, localhost:19192 for b).")
    String bootstrapServers;

    @Option(names = "--home-bootstrap-servers", paramLabel = "HOST:PORT", description = "The home region's Kafka cluster (default: the local run's other region).")
    String homeBootstrapServers;

    @Option(names = "--kafka-client", paramLabel = "NAME=VALUE", description = "A Kafka client setting for the copy's region; repeatable.")
    Map<String, String> kafkaClient = new LinkedHashMap<>();

    @Option(names = "--home-kafka-client", paramLabel = "NAME=VALUE", description = "A Kafka client setting for the home's cluster; repeatable.")
    Map<String, String> homeKafkaClient = new LinkedHashMap<>();

    @Override
    public Integer call() throws InterruptedException {
        NamespaceName name;
        RegionName copyRegion;
        RegionName homeRegion;
        try {
            name = new NamespaceName(namespace);
            copyRegion = new RegionName(region);
            homeRegion = new RegionName(home != null ? home
                    : region.equals(LocalCommand.REGION_B) ? LocalCommand.REGION_A : LocalCommand.REGION_B);
        } catch (IllegalArgumentException e) {
            System.err.println("logkv: " + e.getMessage());
            return KeyCommands.USAGE;
        }
        KafkaConnection copyKafka = new KafkaConnection(bootstrapServers != null ? bootstrapServers
                : PromoteCommand.localBootstrap(region, false), kafkaClient);
        KafkaConnection homeKafka = new KafkaConnection(homeBootstrapServers != null ? homeBootstrapServers
                : PromoteCommand.localBootstrap(region, true), homeKafkaClient);
        try {
            new CopyRelease(MirrorSettings.of(homeRegion, copyRegion, homeKafka, copyKafka, NamespaceSelection.of(List.of(namespace))),
                    name, System.out).release();
            return 0;
        } catch (PromotionRefusedException e) {
            System.err.println("logkv: release refused: " + e.getMessage());
            return PromoteCommand.REFUSED;
        } catch (PromotionIncompleteException e) {
            System.err.println("logkv: " + e.getMessage());
            return 1;
        }
    }
}
