package io.logkv.query.node;

import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.materializer.LocalReplicas;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.query.cluster.UnsafeNamespaces;
import io.logkv.query.config.LogKvProperties;
import io.logkv.writer.NamespaceCatalog;
import io.logkv.writer.NamespaceRegistryWriter;
import io.logkv.writer.PartitionOwner;
import io.logkv.writer.TruthTopics;
import io.logkv.writer.UnsafeTruthTopicException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;

/**
 * Brings a node up: makes sure the registry topic exists, reads the registry, creates the bootstrap
 * namespaces, and refuses to start if any truth topic could lose acknowledged writes. From then on every
 * namespace the registry announces is checked, and its partitions are replicated where the placement says.
 */
public class NodeStartup implements InitializingBean, ApplicationListener<WebServerInitializedEvent> {

    private static final Logger log = LoggerFactory.getLogger(NodeStartup.class);

    private final NamespaceCatalog catalog;
    private final LocalReplicas replicas;
    private final TruthTopics topics;
    private final NamespaceRegistryWriter registry;
    private final PartitionOwner owner;
    private final ClusterReplicas cluster;
    private final LogKvProperties props;
    private final UnsafeNamespaces unsafe;
    private volatile boolean started;

    NodeStartup(NamespaceCatalog catalog, LocalReplicas replicas, TruthTopics topics,
                NamespaceRegistryWriter registry, PartitionOwner owner, ClusterReplicas cluster, UnsafeNamespaces unsafe,
                LogKvProperties props) {
        this.catalog = catalog;
        this.unsafe = unsafe;
        this.replicas = replicas;
        this.topics = topics;
        this.registry = registry;
        this.owner = owner;
        this.cluster = cluster;
        this.props = props;
    }

    @Override
    public void afterPropertiesSet() throws Exception {
        registry.ensureRegistryTopic();
        catalog.listen(this::namespaceChanged);
        catalog.start();
        awaitCatalog();
        List<String> problems = new ArrayList<>();
        for (String name : props.namespaces().bootstrap()) {
            NamespaceName namespace = new NamespaceName(name);
            if (catalog.settings(namespace).isEmpty()) {
                long position = registry.put(namespace, new NamespaceSettings(props.namespaces().defaultPartitions(), Duration.ZERO));
                catalog.awaitHeard(position, props.kafka().adminTimeout()).get();
                log.info("event=namespace_bootstrapped namespace={}", namespace);
            }
        }
        for (var entry : catalog.all().entrySet()) {
            NamespaceName namespace = entry.getKey();
            if (copyWithoutRegionName(namespace, entry.getValue())) {
                continue;
            }
            try {
                topics.verify(namespace.truthTopic());
                if (!entry.getValue().homeElsewhere(props.region().regionName())) {
                    registry.ensureQueues(namespace, entry.getValue().partitions());
                }
            } catch (UnsafeTruthTopicException e) {
                problems.addAll(e.violations());
            }
        }
        if (!problems.isEmpty()) {
            throw new UnsafeTruthTopicException(problems);
        }
        started = true;
        log.info("event=node_started node={} namespaces={}", props.nodeId(), catalog.all().size());
    }

    /** Once the HTTP server listens, the node can tell others where to forward writes: it joins the writers. */
    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() != null) {
            return; // the management server, when it has a port of its own
        }
        String url = props.advertisedUrl().isBlank()
                ? "http://localhost:" + event.getWebServer().getPort()
                : props.advertisedUrl();
        owner.start(url);
        owner.follow(servedNamespaces());
        cluster.start(url, this::servedPartitions);
        log.info("event=writer_joined node={} advertised_url={}", props.nodeId(), url);
    }

    /**
     * The namespaces this node writes: those it serves whose home is this region. A copy of another region's
     * namespace has no owner here (its partitions are only replicated), so the writers' group leaves it out.
     */
    private List<NamespaceName> servedNamespaces() {
        return catalog.all().entrySet().stream()
                .filter(e -> !unsafe.contains(e.getKey()) && !e.getValue().homeElsewhere(props.region().regionName()))
                .map(java.util.Map.Entry::getKey).toList();
    }

    private java.util.Map<NamespaceName, Integer> servedPartitions() {
        java.util.Map<NamespaceName, Integer> served = new java.util.HashMap<>();
        catalog.all().forEach((namespace, settings) -> {
            if (!unsafe.contains(namespace)) {
                served.put(namespace, settings.partitions());
            }
        });
        return served;
    }

    /**
     * A copy of another region's namespace is served only by nodes that name their region: tokens carry the
     * region of their positions, and a node without a name would take the home region's positions (from
     * nodes without a name too) for its own, whose offsets differ. Such a copy is not served (503).
     */
    private boolean copyWithoutRegionName(NamespaceName namespace, NamespaceSettings settings) {
        if (settings.home() == null || props.region().regionName() != null) {
            return false;
        }
        unsafe.add(namespace);
        log.error("event=namespace_not_served namespace={} reason=\"a copy of region {}'s namespace; serving it needs"
                + " logkv.region.name on this node\"", namespace, settings.home());
        return true;
    }

    /** Whether the node finished starting. */
    public boolean started() {
        return started;
    }


    private void awaitCatalog() throws InterruptedException {
        long deadline = System.nanoTime() + props.kafka().adminTimeout().toNanos() * 2;
        while (!catalog.caughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read the namespace registry from Kafka at "
                        + props.kafka().bootstrapServers());
            }
            Thread.sleep(50);
        }
    }

    private void ensureQueues(NamespaceName namespace, int partitions) {
        try {
            registry.ensureQueues(namespace, partitions);
        } catch (RuntimeException e) {
            // Its owners cannot start without them: they retry their catch-up, and a restart creates them again.
            log.error("event=namespace_queues_failed namespace={} error=\"{}\"", namespace, e.getMessage());
        }
    }

    private void namespaceChanged(NamespaceName namespace, NamespaceSettings settings) {
        if (settings == null) {
            unsafe.remove(namespace);
            replicas.drop(namespace);
            owner.follow(servedNamespaces());
            log.info("event=namespace_dropped namespace={}", namespace);
            return;
        }
        if (copyWithoutRegionName(namespace, settings)) {
            return;
        }
        try {
            int partitions = topics.verify(namespace.truthTopic());
            if (partitions != settings.partitions()) {
                throw new UnsafeTruthTopicException(List.of(namespace.truthTopic() + " has " + partitions
                        + " partitions but the registry says " + settings.partitions()));
            }
            if (!settings.homeElsewhere(props.region().regionName())) {
                // A namespace promoted to this region from another has no ingest queue here yet.
                ensureQueues(namespace, settings.partitions());
            }
            unsafe.remove(namespace);
            owner.follow(servedNamespaces());
            cluster.refreshSoon();
        } catch (UnsafeTruthTopicException e) {
            unsafe.add(namespace);
            log.error("event=namespace_not_served namespace={} reason=\"{}\"", namespace, e.getMessage());
        }
    }
}
