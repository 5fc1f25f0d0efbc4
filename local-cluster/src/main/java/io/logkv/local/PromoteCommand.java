package io.logkv.local;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.RegionName;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.mirror.Promotion;
import io.logkv.mirror.PromotionIncompleteException;
import io.logkv.mirror.PromotionRefusedException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/logkv promote NAMESPACE --region b}: makes the region holding a copy of a namespace its home
 * ({@link Promotion}; docs/operations.md, "Region loss"). The clusters default to those of a local run with
 * {@code --regions 2}. Exit codes: 0 promoted, 1 a cluster could not be reached or the mirror did not carry the
 * log in time (run it again), 2 usage, 3 refused.
 */
@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Makes a region that holds a copy of a namespace its home: it takes the namespace's writes, the old home refuses them.")
final class PromoteCommand implements Callable<Integer> {

    static final int REFUSED = 3;

    @Parameters(index = "0", paramLabel = "NAMESPACE", description = "The namespace to promote.")
    String namespace;

    @Option(names = "--region", required = true, description = "The region to make the namespace's home (it holds a mirror's copy).")
    String region;

    @Option(names = "--from", paramLabel = "REGION",
            description = "The present home region (default: the one the promoted region's registry names; when that is the region"
                    + " itself, promoted before, the local run's other region).")
    String from;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "That region's Kafka cluster (default: the local run's, localhost:19092 for region a, localhost:19192 for b).")
    String bootstrapServers;

    @Option(names = "--home-bootstrap-servers", paramLabel = "HOST:PORT",
            description = "The present home region's Kafka cluster (default: the local run's other region).")
    String homeBootstrapServers;

    @Option(names = "--kafka-client", paramLabel = "NAME=VALUE",
            description = "A Kafka client setting for the promoted region's cluster (security.protocol, ssl.*, sasl.*); repeatable.")
    Map<String, String> kafkaClient = new LinkedHashMap<>();

    @Option(names = "--home-kafka-client", paramLabel = "NAME=VALUE",
            description = "A Kafka client setting for the present home's cluster; repeatable.")
    Map<String, String> homeKafkaClient = new LinkedHashMap<>();

    @Option(names = "--writers-group", defaultValue = "logkv-writers",
            description = "The home region's logkv.writer.group-id, whose transactional ids are fenced (default: ${DEFAULT-VALUE}).")
    String writersGroup;

    @Option(names = "--drain-timeout-ms", defaultValue = "120000",
            description = "How long to wait for the mirror to carry the home's log to its end (default: ${DEFAULT-VALUE}).")
    long drainTimeoutMs;

    @Option(names = "--force",
            description = "Promote although the present home cannot be reached: the mirror into this region is fenced, the home's"
                    + " lease revoked and waited out (its nodes refuse writes by then), and the writes the mirror had not carried are"
                    + " lost. Run the promotion again without --force once the old home is reachable.")
    boolean force;

    @Override
    public Integer call() throws InterruptedException {
        NamespaceName name;
        RegionName promoted;
        try {
            name = new NamespaceName(namespace);
            promoted = new RegionName(region);
        } catch (IllegalArgumentException e) {
            System.err.println("logkv: " + e.getMessage());
            return KeyCommands.USAGE;
        }
        KafkaConnection promotedKafka = new KafkaConnection(bootstrapServers != null ? bootstrapServers : localBootstrap(region, false),
                kafkaClient);
        Duration timeout = Duration.ofSeconds(30);
        try {
            Optional<RegionName> home = Promotion.homeIn(promotedKafka, promoted, name, timeout);
            if (home.isEmpty()) {
                System.err.println("logkv: region " + promoted + " holds no namespace " + name);
                return REFUSED;
            }
            // Promoted before (perhaps forced), the region's registry no longer names the old home: --from does, or
            // the local run's other region.
            RegionName oldHome = from != null ? new RegionName(from)
                    : home.get().equals(promoted) ? new RegionName(otherLocalRegion(region)) : home.get();
            KafkaConnection homeKafka = new KafkaConnection(homeBootstrapServers != null ? homeBootstrapServers
                    : localBootstrap(region, true), homeKafkaClient);
            MirrorSettings settings = MirrorSettings.of(oldHome, promoted, homeKafka, promotedKafka, NamespaceSelection.of(List.of(namespace)));
            Promotion.Outcome outcome = new Promotion(settings, name, writersGroup, Duration.ofMillis(drainTimeoutMs), System.out)
                    .promote(force);
            System.out.println(outcome.planned()
                    ? "promoted in " + outcome.tookMs() + " ms; nothing was lost (the old home was fenced and the mirror carried its whole log)"
                    : "promoted in " + outcome.tookMs() + " ms without the old home; at risk: the writes of the last "
                            + (outcome.lagMs() < 0 ? "(unknown)" : outcome.lagMs() + " ms") + " before its loss");
            return 0;
        } catch (PromotionRefusedException e) {
            System.err.println("logkv: promotion refused: " + e.getMessage());
            return REFUSED;
        } catch (PromotionIncompleteException e) {
            System.err.println("logkv: " + e.getMessage());
            return 1;
        }
    }

    /** The Kafka cluster of a local run's region a or b; {@code other}: of the other region. */
    static String localBootstrap(String region, boolean other) {
        boolean regionB = region.equals(LocalCommand.REGION_B) != other;
        return "localhost:" + (LocalCommand.DEFAULT_KAFKA_PORT + (regionB ? LocalCommand.REGION_B_KAFKA_OFFSET : 0));
    }

    private static String otherLocalRegion(String region) {
        return region.equals(LocalCommand.REGION_B) ? LocalCommand.REGION_A : LocalCommand.REGION_B;
    }
}
