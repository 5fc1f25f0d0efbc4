package io.logkv.query.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.NodeTime;
import io.logkv.core.ProblemTypes;
import io.logkv.core.TimeToLive;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.cluster.Topology;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.region.HomeRegions;
import io.logkv.query.region.MirroredPositions;
import io.logkv.query.security.Caller;
import io.logkv.writer.NamespaceCatalog;
import io.logkv.writer.NamespaceRegistryWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/namespaces}: create, change, describe, list and delete namespaces (API.md). */
@RestController
@RequestMapping("/v1/namespaces")
public class NamespacesController {

    private final NamespaceCatalog catalog;
    private final NamespaceRegistryWriter registry;
    private final NamespaceResolver resolver;
    private final LocalReplicas replicas;
    private final Topology topology;
    private final LogKvProperties props;
    private final HomeRegions regions;
    private final MirroredPositions mirrored;
    private final NodeTime time;

    public NamespacesController(NamespaceCatalog catalog, NamespaceRegistryWriter registry, NamespaceResolver resolver,
                                LocalReplicas replicas, Topology topology, LogKvProperties props, HomeRegions regions,
                                MirroredPositions mirrored, NodeTime time) {
        this.time = time;
        this.regions = regions;
        this.mirrored = mirrored;
        this.topology = topology;
        this.catalog = catalog;
        this.registry = registry;
        this.resolver = resolver;
        this.replicas = replicas;
        this.props = props;
    }

    /** The namespaces the caller may see: those it has any right in (every one on an open node). */
    @GetMapping
    public Map<String, List<NamespaceSummary>> list() {
        Caller caller = Caller.current();
        return Map.of("namespaces", catalog.all().entrySet().stream()
                .filter(e -> caller == null || caller.grants().allowsAny(e.getKey().value()))
                .map(e -> NamespaceSummary.of(e.getKey(), e.getValue())).toList());
    }

    /**
     * The namespace, this node's replicas of it, and its topology: for every partition the owner and the
     * replicas the placement names, each with its position and lag as that node reports it.
     */
    @GetMapping("/{ns}")
    public CompletableFuture<NamespaceDescription> describe(@PathVariable String ns) {
        NamespaceResolver.ServedNamespace namespace = resolver.resolve(ns);
        long now = time.nowMs();
        List<PartitionDescription> local = replicas.replicas(namespace.name()).stream()
                .map(replica -> PartitionDescription.of(replica, props.nodeId(), now)).toList();
        List<MirroredPartition> mirror = null;
        if (regions.isCopy(namespace)) {
            mirror = new java.util.ArrayList<>();
            for (int p = 0; p < namespace.settings().partitions(); p++) {
                int partition = p;
                mirror.add(mirrored.newest(namespace.settings().home(), namespace.name().truthTopic(), p)
                        .map(position -> new MirroredPartition(partition, position.nextSourceOffset(), position.lastTargetOffset(),
                                position.lastSourceTimestampMs(), position.caughtUpAtMs(), MirroredPositions.lagMs(position, now)))
                        .orElse(new MirroredPartition(partition, 0, -1, -1, -1, -1)));
            }
        }
        List<MirroredPartition> mirrorState = mirror;
        return topology.of(namespace).thenApply(partitions -> new NamespaceDescription(namespace.name().value(),
                namespace.settings().partitions(), seconds(namespace.settings().defaultTtl()), homeOf(namespace.settings()),
                copyWritesText(namespace.settings()), namespace.name().truthTopic(), local, partitions, mirrorState));
    }

    /** Creates a namespace (201) or changes its settings (200); answers once this node serves it. */
    @PutMapping("/{ns}")
    public CompletableFuture<ResponseEntity<NamespaceSummary>> put(@PathVariable String ns,
                                                                   @RequestBody(required = false) NamespaceRequest request) {
        if (!NamespaceName.isLegal(ns)) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_NAMESPACE, "namespace names are 1 to 100 characters of letters, digits, '_' and '-'");
        }
        NamespaceName name = new NamespaceName(ns);
        Optional<NamespaceSettings> existing = catalog.settings(name);
        if (existing.isPresent()) {
            regions.requireHome(new NamespaceResolver.ServedNamespace(name, existing.get()), "Changes to the settings");
        }
        NamespaceSettings settings = settings(request, existing);
        if (existing.isPresent() && existing.get().partitions() != settings.partitions()) {
            throw new ApiProblem(HttpStatus.CONFLICT, ProblemTypes.NAMESPACE_CONFLICT, "Namespace conflict",
                    ns + " has " + existing.get().partitions() + " partitions; the partition count of a namespace cannot change");
        }
        long position = registry.put(name, settings);
        HttpStatus status = existing.isPresent() ? HttpStatus.OK : HttpStatus.CREATED;
        return catalog.awaitHeard(position, props.kafka().adminTimeout()).thenApply(seen ->
                ResponseEntity.status(status).body(NamespaceSummary.of(name, settings)));
    }

    @DeleteMapping("/{ns}")
    public CompletableFuture<ResponseEntity<Void>> delete(@PathVariable String ns) {
        NamespaceResolver.ServedNamespace namespace = resolver.resolve(ns);
        regions.requireHome(namespace, "Deletion");
        NamespaceName name = namespace.name();
        long position = registry.remove(name);
        return catalog.awaitHeard(position, props.kafka().adminTimeout())
                .thenApply(seen -> ResponseEntity.noContent().build());
    }

    private NamespaceSettings settings(NamespaceRequest request, Optional<NamespaceSettings> existing) {
        int partitions = request != null && request.partitions() != null ? request.partitions()
                : existing.map(NamespaceSettings::partitions).orElse(props.namespaces().defaultPartitions());
        Duration ttl = existing.map(NamespaceSettings::defaultTtl).orElse(Duration.ZERO);
        if (request != null && request.defaultTtl() != null) {
            try {
                ttl = request.defaultTtl().isBlank() || request.defaultTtl().equals("0") ? Duration.ZERO : TimeToLive.parse(request.defaultTtl());
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_TTL, e.getMessage());
            }
        }
        NamespaceSettings.CopyWrites copyWrites = existing.map(NamespaceSettings::copyWrites).orElse(null);
        if (request != null && request.copyWrites() != null) {
            copyWrites = copyWritesOf(request.copyWrites());
        }
        try {
            return new NamespaceSettings(partitions, ttl).withCopyWrites(copyWrites);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_NAMESPACE_SETTINGS, e.getMessage());
        }
    }

    /** {@code forward}, {@code refuse}, or empty for each node's own choice. */
    private static NamespaceSettings.CopyWrites copyWritesOf(String text) {
        NamespaceSettings.CopyWrites choice = NamespaceSettings.CopyWrites.of(text);
        if (choice == null && !text.isBlank()) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_NAMESPACE_SETTINGS,
                    "copyWrites is 'forward', 'refuse' or empty (each node's logkv.region.forward-writes), not '" + text + "'");
        }
        return choice;
    }

    private static String copyWritesText(NamespaceSettings settings) {
        return settings.copyWrites() == null ? null : settings.copyWrites().text();
    }

    private static long seconds(Duration duration) {
        return duration.toSeconds();
    }

    /**
     * The body of {@code PUT /v1/namespaces/{ns}}; every field is optional.
     *
     * @param partitions partitions of the truth topic (only when creating)
     * @param defaultTtl time to live of writes that name none ({@code 90s}, {@code 2h}, ...; {@code 0} for none)
     * @param copyWrites what the nodes of a region holding a copy do with its writes: {@code forward} them to the home
     *                   region, {@code refuse} them ({@code 421}), or empty for each node's {@code logkv.region.forward-writes}
     */
    public record NamespaceRequest(Integer partitions, String defaultTtl, String copyWrites) {
    }

    /**
     * A namespace in a list.
     *
     * @param name              its name
     * @param partitions        partitions of its truth topic
     * @param defaultTtlSeconds default time to live, 0 for none
     * @param homeRegion        the region that takes its writes when that is another region (this region holds a
     *                          copy); absent when its home is this region
     * @param copyWrites        {@code forward} or {@code refuse}: what copies do with its writes; absent when each node decides
     */
    public record NamespaceSummary(String name, int partitions, long defaultTtlSeconds,
                                   @JsonInclude(JsonInclude.Include.NON_NULL) String homeRegion,
                                   @JsonInclude(JsonInclude.Include.NON_NULL) String copyWrites) {
        static NamespaceSummary of(NamespaceName name, NamespaceSettings settings) {
            return new NamespaceSummary(name.value(), settings.partitions(), seconds(settings.defaultTtl()), homeOf(settings),
                    copyWritesText(settings));
        }
    }

    private static String homeOf(NamespaceSettings settings) {
        return settings.home() == null ? null : settings.home().value();
    }

    /**
     * How far the mirror has carried one partition of a copy into this region.
     *
     * @param partition             the partition
     * @param nextSourceOffset      the home region's first offset not yet carried here
     * @param lastTargetOffset      this region's offset of the last record carried, -1 before the first
     * @param lastSourceTimestampMs the home region's timestamp of that record, epoch ms, -1 before the first
     * @param caughtUpAtMs          when the mirror last found the home partition read to its end (epoch ms, the
     *                              mirror's clock; refreshed by its heartbeats), -1 while unknown
     * @param lagMs                 how old the copy is: milliseconds since then, -1 while unknown
     */
    public record MirroredPartition(int partition, long nextSourceOffset, long lastTargetOffset, long lastSourceTimestampMs,
                                    long caughtUpAtMs, long lagMs) {
    }

    /**
     * A namespace and where its partitions are replicated.
     *
     * @param name              its name
     * @param partitions        partitions of its truth topic
     * @param defaultTtlSeconds default time to live, 0 for none
     * @param homeRegion        the region that takes its writes when that is another region; absent when it is this one
     * @param copyWrites        {@code forward} or {@code refuse}: what copies do with its writes; absent when each node decides
     * @param truthTopic        the Kafka topic that holds its truth
     * @param replicas          this node's replicas of its partitions
     * @param topology          every partition's owner and replicas across the nodes
     * @param mirror            for a copy of another region's namespace, how far the mirror has carried each partition
     */
    public record NamespaceDescription(String name, int partitions, long defaultTtlSeconds,
                                       @JsonInclude(JsonInclude.Include.NON_NULL) String homeRegion,
                                       @JsonInclude(JsonInclude.Include.NON_NULL) String copyWrites, String truthTopic,
                                       List<PartitionDescription> replicas, List<Topology.PartitionTopology> topology,
                                       @JsonInclude(JsonInclude.Include.NON_NULL) List<MirroredPartition> mirror) {
    }

    /**
     * One replica of one partition.
     *
     * @param partition        the partition
     * @param node             the node holding the replica
     * @param appliedPosition  the log position applied
     * @param lagRecords       committed records not yet applied (-1 before the first fetch)
     * @param lagMs            how long since the replica was last caught up (0 when it is)
     * @param resumedFrom      the position the replica resumed from when it was opened
     * @param appliedSinceOpen records applied since it was opened
     * @param estimatedKeys    keys held, as RocksDB estimates
     */
    public record PartitionDescription(int partition, String node, long appliedPosition, long lagRecords, long lagMs,
                                       long resumedFrom, long appliedSinceOpen, long estimatedKeys) {
        static PartitionDescription of(PartitionReplica replica, String node, long now) {
            return new PartitionDescription(replica.partition(), node, replica.appliedPosition(), replica.lagRecords(),
                    replica.lagMillis(now), replica.resumedFrom(), replica.appliedSinceOpen(), replica.estimatedKeys());
        }
    }
}
