package io.logkv.query.node;

import io.logkv.compactor.CompactorSettings;
import io.logkv.compactor.ExpiryCompactor;
import io.logkv.compactor.TruthTopicHealth;
import io.logkv.compactor.snapshot.DirectorySnapshotStore;
import io.logkv.compactor.snapshot.ReplicaSnapshots;
import io.logkv.compactor.snapshot.S3SnapshotStore;
import io.logkv.compactor.snapshot.SnapshotSettings;
import io.logkv.compactor.snapshot.SnapshotStore;
import io.logkv.core.HybridClock;
import io.logkv.core.KeyRules;
import io.logkv.core.NodeTime;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.ReplicaSettings;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.query.cluster.UnsafeNamespaces;
import io.logkv.query.config.CompactorProperties;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.config.ReplicaProperties;
import io.logkv.query.config.SnapshotProperties;
import io.logkv.query.config.TruthTopicProperties;
import io.logkv.query.config.WatchProperties;
import io.logkv.query.config.WriterProperties;
import io.logkv.query.read.HotKeys;
import io.logkv.query.read.ReadCoalescer;
import io.logkv.query.rebuild.NodeSnapshots;
import io.logkv.query.region.HomeRegions;
import io.logkv.query.region.MirroredPositions;
import io.logkv.writer.HomeLeases;
import io.logkv.writer.IngestRecords;
import io.logkv.writer.LogWriter;
import io.logkv.writer.NamespaceCatalog;
import io.logkv.writer.NamespaceHomes;
import io.logkv.writer.NamespaceRegistryWriter;
import io.logkv.writer.OwnerDirectory;
import io.logkv.writer.OwnerSettings;
import io.logkv.writer.PartitionOwner;
import io.logkv.writer.TruthCompaction;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the roles of one node: the log writer, the replicas, and the namespace catalog. */
@Configuration(proxyBeanMethods = false)
public class NodeConfiguration {

    /** Room in a Kafka record beyond the value: the key, the envelope header and record overhead. */
    private static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

    /** The clocks every role of the node reads: one bean, so that a test can replace it for all of them at once. */
    @Bean
    NodeTime nodeTime() {
        return NodeTime.SYSTEM;
    }

    @Bean(destroyMethod = "close")
    Admin kafkaAdmin(LogKvProperties props) {
        Map<String, Object> config = props.kafka().connection().asMap();
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "logkv-admin-" + props.nodeId());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) props.kafka().adminTimeout().toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) props.kafka().adminTimeout().toMillis());
        return Admin.create(config);
    }

    @Bean
    TruthTopics truthTopics(Admin admin, LogKvProperties props) {
        int maxMessageBytes = (int) props.limits().maxValueBytes().toBytes() + RECORD_OVERHEAD_BYTES;
        TruthTopicProperties truth = props.truth();
        if (truth.tombstoneRetention().compareTo(props.replicas().maxResumeAge()) <= 0) {
            // A replica resuming from further back than tombstones are kept could miss a delete for good.
            throw new IllegalArgumentException("logkv.truth.tombstone-retention (" + truth.tombstoneRetention()
                    + ") must exceed logkv.replicas.max-resume-age (" + props.replicas().maxResumeAge() + ")");
        }
        return new TruthTopics(admin, new TruthTopicRequirements(truth.replicationFactor(), truth.minInsyncReplicas(), maxMessageBytes,
                new TruthCompaction(truth.tombstoneRetention(), truth.segmentAge(), truth.minCompactionLag())),
                props.kafka().adminTimeout());
    }

    @Bean(destroyMethod = "close")
    NamespaceRegistryWriter namespaceRegistryWriter(TruthTopics topics, LogKvProperties props) {
        return new NamespaceRegistryWriter(props.kafka().connection(), topics, props.kafka().adminTimeout());
    }

    @Bean(destroyMethod = "close")
    PartitionOwner partitionOwner(LogKvProperties props, LocalReplicas replicas, NamespaceCatalog catalog, MeterRegistry meters,
                                  NodeTime time) {
        WriterProperties writer = props.writer();
        if (writer.transactionTimeout().compareTo(writer.deliveryTimeout()) <= 0) {
            LoggerFactory.getLogger(NodeConfiguration.class).warn("event=transaction_timeout_short transaction_timeout={} "
                    + "delivery_timeout={} effect=\"a broker fail-over longer than the transaction timeout aborts open "
                    + "transactions: their writes answer 503 instead of waiting\"", writer.transactionTimeout(), writer.deliveryTimeout());
        }
        OwnerSettings settings = new OwnerSettings(
                props.kafka().connection(),
                props.nodeId(),
                writer.groupId(),
                writer.sessionTimeout(),
                writer.maxPollInterval(),
                writer.maxPendingWrites(),
                writer.maxPendingBytes().toBytes(),
                writer.maxBatchRecords(),
                (int) writer.maxBatchBytes().toBytes(),
                (int) props.limits().maxValueBytes().toBytes() + RECORD_OVERHEAD_BYTES,
                writer.transactionTimeout(),
                writer.deliveryTimeout(),
                writer.catchUpTimeout(),
                writer.idempotencyWindow(),
                writer.compression(),
                writer.commitLinger(),
                writer.commitLingerPerWriter(),
                writer.commitThreads());
        IngestRecords ingest = new IngestRecords(new KeyRules(props.limits().maxKeyBytes()), props.limits().maxValueBytes().toBytes(),
                ns -> catalog.settings(ns).orElse(null), meters, time);
        int writerId = Utils.murmur2(props.nodeId().getBytes(StandardCharsets.UTF_8));
        // A new owner writes only while the registry, read to its end after its fence, names this region as home;
        // and a write is acknowledged only while the catalog's view is fresh and every home lease in it holds.
        NamespaceHomes homes = NamespaceHomes.of(catalog, props.region().regionName(), writer.catchUpTimeout());
        return new PartitionOwner(settings, new ReplicaStateLookup(replicas), ingest, HybridClock.system(), writerId, meters, homes,
                HomeLeases.of(catalog), time);
    }

    @Bean
    LogWriter logWriter(PartitionOwner owner) {
        return new LogWriter(owner);
    }

    @Bean
    OwnerDirectory ownerDirectory(Admin admin, LogKvProperties props, NodeTime time) {
        return new OwnerDirectory(admin, props.writer().groupId(), Duration.ofSeconds(1), time);
    }

    @Bean(destroyMethod = "close")
    LocalReplicas localReplicas(LogKvProperties props, MeterRegistry meters, NodeTime time) {
        ReplicaProperties replicas = props.replicas();
        return new LocalReplicas(new ReplicaSettings(
                props.kafka().connection(),
                "logkv-replicas-" + props.nodeId(),
                props.dataDir(),
                replicas.blockCache().toBytes(),
                replicas.writeBuffers().toBytes(),
                replicas.minBlobSize().toBytes(),
                replicas.maxPollRecords(),
                replicas.maxWaitingReads(),
                replicas.maxResumeAge()), meters, time);
    }

    @Bean(destroyMethod = "close")
    ClusterReplicas clusterReplicas(OwnerDirectory directory, LocalReplicas replicas, PartitionOwner owner, LogKvProperties props) {
        ReplicaProperties settings = props.replicas();
        return new ClusterReplicas(directory, replicas, owner, settings.copies(), settings.placementRefresh(),
                settings.releaseDelay(), props.kafka().adminTimeout());
    }

    @Bean(destroyMethod = "close")
    MirroredPositions mirroredPositions(LogKvProperties props, MeterRegistry meters) {
        return new MirroredPositions(props.kafka().connection(), "logkv-" + props.nodeId(), meters);
    }

    @Bean
    HomeRegions homeRegions(LogKvProperties props, MirroredPositions mirrored) {
        return new HomeRegions(props, mirrored);
    }

    @Bean(destroyMethod = "close")
    NamespaceCatalog namespaceCatalog(LogKvProperties props, NodeTime time) {
        Duration staleness = props.region().leaseViewStaleness();
        if (staleness.isNegative() || staleness.isZero()) {
            throw new IllegalArgumentException("logkv.region.lease-view-staleness (" + staleness + ") must be positive");
        }
        // The same clocks as the writers': the view's age is measured with them on every write.
        return new NamespaceCatalog(props.kafka().connection(), "logkv-catalog-" + props.nodeId(), time, staleness);
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    ExpiryCompactor expiryCompactor(LogKvProperties props, LocalReplicas replicas, NamespaceCatalog catalog, PartitionOwner owner,
                                    LogWriter writer, MeterRegistry meters) {
        CompactorProperties compactor = props.compactor();
        return new ExpiryCompactor(new CompactorSettings(compactor.expiryEnabled(), compactor.scanInterval(),
                compactor.expiriesPerSecond(), compactor.writeTimeout()), replicas, catalog, owner, writer, meters,
                System::currentTimeMillis);
    }

    /**
     * Snapshots of replicas, when a store is configured: taken on schedule for the partitions this node owns,
     * and used to seed replicas that start from nothing. Created before the node opens its replicas.
     */
    @Bean(destroyMethod = "close")
    NodeSnapshots nodeSnapshots(LogKvProperties props, LocalReplicas replicas, PartitionOwner owner, MeterRegistry meters) {
        SnapshotProperties config = props.snapshots();
        SnapshotStore store = switch (config.store()) {
            case NONE -> null;
            case DIRECTORY -> new DirectorySnapshotStore(config.directory());
            case S3 -> S3SnapshotStore.connect(config.s3().endpoint(), config.s3().region(), config.s3().bucket(), config.s3().prefix(),
                    config.s3().accessKey(), config.s3().secretKey(), config.s3().pathStyleAccess());
        };
        if (store == null) {
            return new NodeSnapshots(null);
        }
        ReplicaSnapshots snapshots = new ReplicaSnapshots(store, replicas, owner::owned, new SnapshotSettings(config.interval(),
                config.retain(), props.replicas().maxResumeAge(), props.dataDir().resolve("snapshot-work"), config.reseedBehindRecords()),
                meters, System::currentTimeMillis);
        replicas.seedFrom(snapshots);
        snapshots.start();
        return new NodeSnapshots(snapshots);
    }

    /** Bytes, records and tombstone retention of every namespace's truth topic, as gauges. */
    /**
     * Ends the change streams first when the node stops: a stream never ends by itself, and the web server's
     * graceful shutdown (a later phase) would otherwise wait its whole timeout for them.
     */
    @Bean
    org.springframework.context.SmartLifecycle changeStreamsStop(io.logkv.query.watch.ChangeStreams streams) {
        return new org.springframework.context.SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                running = true;
            }

            @Override
            public void stop() {
                running = false;
                streams.close();
            }

            @Override
            public boolean isRunning() {
                return running;
            }
        };
    }

    /** Change streams of namespaces ({@code GET /v1/namespaces/{ns}/watch}). */
    @Bean(destroyMethod = "close")
    io.logkv.query.watch.ChangeStreams changeStreams(LogKvProperties props, MeterRegistry meters) {
        WatchProperties watch = props.watch();
        return new io.logkv.query.watch.ChangeStreams(new io.logkv.query.watch.ChangeStreams.Settings(props.kafka().connection(),
                watch.maxWatches(), watch.maxLagRecords(), watch.maxDuration(), watch.heartbeat()), meters);
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    TruthTopicHealth truthTopicHealth(Admin admin, NamespaceCatalog catalog, LogKvProperties props, MeterRegistry meters) {
        return new TruthTopicHealth(admin, catalog, props.replicas().maxResumeAge(), props.truth().healthInterval(), props.kafka().adminTimeout(),
                meters);
    }

    @Bean
    HotKeys hotKeys(LogKvProperties props, MeterRegistry meters) {
        return new HotKeys(props.hotKeys(), meters);
    }

    @Bean
    ReadCoalescer readCoalescer(MeterRegistry meters) {
        return new ReadCoalescer(meters);
    }

    @Bean
    UnsafeNamespaces unsafeNamespaces() {
        return new UnsafeNamespaces();
    }

    @Bean
    NodeStartup nodeStartup(NamespaceCatalog catalog, LocalReplicas replicas, TruthTopics topics, NodeSnapshots snapshots,
                            TruthTopicHealth truthTopicHealth,
                            NamespaceRegistryWriter registry, PartitionOwner owner, ClusterReplicas cluster, UnsafeNamespaces unsafe,
                            LogKvProperties props) {
        if (props.limits().maxValueBytes().toBytes() > Integer.MAX_VALUE - RECORD_OVERHEAD_BYTES
                || props.limits().maxKeyBytes() < 1) {
            throw new IllegalArgumentException("logkv.limits are out of range");
        }
        return new NodeStartup(catalog, replicas, topics, registry, owner, cluster, unsafe, props);
    }
}
