package io.logkv.query.region;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ConsistencyToken;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.ProblemTypes;
import io.logkv.core.RegionName;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.config.RegionProperties;
import io.logkv.query.problem.ApiProblem;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpStatus;

/**
 * This node's region, and what follows from it for each namespace. A namespace whose home is this region is
 * served in full; one whose home is another region is a copy here (a mirror carries its truth in): reads
 * only, writes and strong reads refused with a problem that names the home region. Tokens carry the region
 * whose positions they hold, so a session read of a copy can be given a token of the home region: it waits
 * until the mirror has carried that position here.
 */
public class HomeRegions {


    private final RegionName region;
    private final RegionProperties settings;
    private final MirroredPositions mirrored;

    public HomeRegions(LogKvProperties props, MirroredPositions mirrored) {
        this.settings = props.region();
        this.region = settings.regionName();
        this.mirrored = mirrored;
        if (region != null) {
            // A region with a name may have been a copy before a promotion made it home: which logs were carried into
            // its namespaces is learned ahead of the first session read that may need it.
            mirrored.start();
        }
    }

    /** This node's region; null when it has no name. */
    public RegionName region() {
        return region;
    }

    /** Whether the namespace is a copy of another region's here. */
    public boolean isCopy(ServedNamespace namespace) {
        return namespace.settings().homeElsewhere(region);
    }

    /**
     * Where a write to the namespace goes when it is a copy here and writes are forwarded to the home region
     * (the namespace's {@code copyWrites}, else this node's {@code logkv.region.forward-writes}): the home
     * region's URL; null when the namespace's home is this region, or writes are not forwarded, or this node does
     * not know the home region's URL.
     */
    public String forwardWritesTo(ServedNamespace namespace) {
        NamespaceSettings.CopyWrites choice = namespace.settings().copyWrites();
        boolean forward = choice == null ? settings.forwardWrites() : choice == NamespaceSettings.CopyWrites.FORWARD;
        if (!isCopy(namespace) || !forward) {
            return null;
        }
        String url = settings.urls().getOrDefault(namespace.settings().home().value(), "");
        return url.isBlank() ? null : url;
    }

    /** Refuses {@code what} (a write, a strong read) on a namespace whose home is another region. */
    public void requireHome(ServedNamespace namespace, String what) {
        if (!isCopy(namespace)) {
            return;
        }
        RegionName home = namespace.settings().home();
        String url = settings.urls().getOrDefault(home.value(), "");
        ApiProblem problem = new ApiProblem(HttpStatus.MISDIRECTED_REQUEST, ProblemTypes.NOT_HOME_REGION, "Not the home region",
                what + " of namespace '" + namespace.name() + "' are served by its home region '" + home + "'"
                        + (url.isEmpty() ? "" : " (" + url + ")") + "; this region" + (region == null ? "" : " '" + region + "'")
                        + " holds a copy and serves eventual and session reads")
                .withHeader(ApiHeaders.HOME_REGION, home.value());
        if (!url.isEmpty()) {
            problem.withHeader(ApiHeaders.HOME_URL, url);
        }
        throw problem;
    }

    /** A token for a position of this region's copy of the namespace. */
    public ConsistencyToken token(NamespaceName namespace, LogPosition position) {
        return ConsistencyToken.of(namespace, region, position);
    }

    /** The position of this region's copy that {@code token} names for the partition; 0 when none. */
    public long demanded(ConsistencyToken token, NamespaceName namespace, int partition) {
        return token.positionFor(namespace, region, partition);
    }

    /**
     * The position of this region's copy a session read must wait for: what the token names of this region,
     * and, on a copy, this region's position covering what it names of the home region (once the mirror has
     * carried it here; -1 when it has not within {@code wait}).
     */
    public CompletableFuture<Long> required(ServedNamespace namespace, ConsistencyToken token, int partition, Duration wait) {
        long here = demanded(token, namespace.name(), partition);
        if (!isCopy(namespace)) {
            return region == null ? CompletableFuture.completedFuture(here) : carriedHere(namespace, token, partition, here, wait);
        }
        RegionName home = namespace.settings().home();
        if (token.ingestPositionFor(namespace.name(), partition) > 0) {
            requireHome(namespace, "Reads under a token of a streaming write");
        }
        if (token.positionFor(namespace.name(), null, partition) > 0) {
            // Positions of a region without a name: its offsets cannot be told from any other region's.
            throw ApiProblem.badRequest(ProblemTypes.BAD_TOKEN, "the token holds positions of " + namespace.name() + " from a region without a"
                    + " name, which this copy cannot translate; name the home region's nodes (logkv.region.name=" + home + ")");
        }
        long atHome = token.positionFor(namespace.name(), home, partition);
        if (atHome <= 0) {
            return CompletableFuture.completedFuture(here);
        }
        return mirrored.covering(home, namespace.name().truthTopic(), partition, atHome, wait)
                .thenApply(covering -> covering < 0 ? -1L : Math.max(here, covering));
    }

    /**
     * On a namespace whose home is this region: the position here covering what the token names of this region and of
     * each region whose log a mirror carried into this one (a former home, before a promotion made this region home), so
     * that a session begun in the former home reads here no older than its writes there. -1 when a position the token
     * names of such a region was not carried here within {@code wait} (the writes of a forced promotion's loss, or
     * positions of this node's start not yet read).
     */
    private CompletableFuture<Long> carriedHere(ServedNamespace namespace, ConsistencyToken token, int partition, long here,
                                                Duration wait) {
        String topic = namespace.name().truthTopic();
        return mirrored.sources(topic, partition, wait).thenCompose(sources -> {
            if (sources == null) {
                return CompletableFuture.completedFuture(-1L);
            }
            CompletableFuture<Long> required = CompletableFuture.completedFuture(here);
            for (RegionName source : sources) {
                long there = source.equals(region) ? 0 : token.positionFor(namespace.name(), source, partition);
                if (there > 0) {
                    required = required.thenCombine(mirrored.covering(source, topic, partition, there, wait),
                            (sofar, covering) -> sofar < 0 || covering < 0 ? -1L : Math.max(sofar, covering));
                }
            }
            return required;
        });
    }
}
