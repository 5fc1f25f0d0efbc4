package io.logkv.compactor;

import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import io.logkv.writer.NamespaceCatalog;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the log cleaner keeps each namespace's truth topic, as far as Kafka's admin API tells it: the bytes
 * the topic holds (largest replica of each partition, summed), the records between its start and end
 * offsets (more than the live keys by whatever compaction has not removed yet), and its tombstone
 * retention, which must stay above the replicas' maximum resume age (a replica resuming from further back
 * could miss a tombstone and keep a deleted key). Refreshed every {@code interval}; a namespace's gauges
 * appear when the catalog first names it, with no value until the first refresh.
 *
 * <p>The cleaner's own figures (dirty ratio, time since its last run) are broker metrics, not in the admin
 * API: docs/operations.md says which to scrape from the brokers.
 */
public final class TruthTopicHealth implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TruthTopicHealth.class);

    private final Admin admin;
    private final Duration interval;
    private final Duration callTimeout;
    private final MeterRegistry meters;
    private final Set<NamespaceName> known = ConcurrentHashMap.newKeySet();
    private final Map<NamespaceName, Figures> figures = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("logkv-truth-health"));

    /** What one refresh learnt of a truth topic; NaN where it could not tell. */
    private record Figures(double bytes, double records, double tombstoneRetentionSeconds) {
        static final Figures UNKNOWN = new Figures(Double.NaN, Double.NaN, Double.NaN);
    }

    public TruthTopicHealth(Admin admin, NamespaceCatalog catalog, Duration maxResumeAge, Duration interval, Duration callTimeout,
                            MeterRegistry meters) {
        this.admin = admin;
        this.interval = interval;
        this.callTimeout = callTimeout;
        this.meters = meters;
        Gauge.builder("logkv.replicas.max.resume.age", maxResumeAge, age -> age.toMillis() / 1000.0).baseUnit("seconds")
                .description("The oldest position a replica resumes from (older: replayed, or seeded from a newer snapshot); "
                        + "truth topics' tombstone retention must stay above it")
                .register(meters);
        catalog.listen((namespace, settings) -> {
            if (settings != null && known.add(namespace)) {
                register(namespace);
                scheduler.execute(this::refresh);
            }
        });
    }

    /** Refreshes every {@code interval}. */
    public void start() {
        long every = interval.toMillis();
        scheduler.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
    }

    private void register(NamespaceName namespace) {
        String ns = namespace.value();
        Gauge.builder("logkv.truth.bytes", figures, all -> all.getOrDefault(namespace, Figures.UNKNOWN).bytes())
                .tag("namespace", ns).baseUnit("bytes")
                .description("Bytes the namespace's truth topic holds on the brokers (the largest replica of each partition, summed)")
                .register(meters);
        Gauge.builder("logkv.truth.records", figures, all -> all.getOrDefault(namespace, Figures.UNKNOWN).records())
                .tag("namespace", ns)
                .description("Records between the truth topic's start and end offsets: live keys plus what compaction has not removed yet")
                .register(meters);
        Gauge.builder("logkv.truth.tombstone.retention", figures, all -> all.getOrDefault(namespace, Figures.UNKNOWN).tombstoneRetentionSeconds())
                .tag("namespace", ns).baseUnit("seconds")
                .description("The truth topic's delete.retention.ms: how long the cleaner keeps tombstones")
                .register(meters);
    }

    private void refresh() {
        List<NamespaceName> namespaces = new ArrayList<>(known);
        if (namespaces.isEmpty()) {
            return;
        }
        try {
            Map<String, NamespaceName> byTopic = new HashMap<>();
            namespaces.forEach(ns -> byTopic.put(ns.truthTopic(), ns));
            Map<String, Integer> partitions = new HashMap<>();
            admin.describeTopics(byTopic.keySet()).topicNameValues().forEach((topic, future) -> {
                try {
                    partitions.put(topic, future.get(callTimeout.toMillis(), TimeUnit.MILLISECONDS).partitions().size());
                } catch (Exception e) {
                    // Not there (yet): no figures for it this time.
                }
            });
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach((topic, count) -> {
                for (int p = 0; p < count; p++) {
                    earliest.put(byTopic.get(topic).truthPartition(p), OffsetSpec.earliest());
                    latest.put(byTopic.get(topic).truthPartition(p), OffsetSpec.latest());
                }
            });
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all()
                    .get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                    .get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> sizes = new HashMap<>();
            List<Integer> brokers = admin.describeCluster().nodes().get(callTimeout.toMillis(), TimeUnit.MILLISECONDS).stream()
                    .map(Node::id).toList();
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions()
                    .get(callTimeout.toMillis(), TimeUnit.MILLISECONDS).values()) {
                for (LogDirDescription dir : dirs.values()) {
                    for (Map.Entry<TopicPartition, ReplicaInfo> replica : dir.replicaInfos().entrySet()) {
                        if (partitions.containsKey(replica.getKey().topic()) && !replica.getValue().isFuture()) {
                            sizes.merge(replica.getKey(), replica.getValue().size(), Math::max);
                        }
                    }
                }
            }
            List<ConfigResource> resources = partitions.keySet().stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            for (String topic : partitions.keySet()) {
                long bytes = 0;
                long records = 0;
                for (int p = 0; p < partitions.get(topic); p++) {
                    TopicPartition tp = byTopic.get(topic).truthPartition(p);
                    bytes += sizes.getOrDefault(tp, 0L);
                    records += Math.max(0, ends.get(tp).offset() - starts.get(tp).offset());
                }
                ConfigEntry retention = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)).get("delete.retention.ms");
                double retentionSeconds = retention == null || retention.value() == null ? Double.NaN
                        : Long.parseLong(retention.value()) / 1000.0;
                figures.put(byTopic.get(topic), new Figures(bytes, records, retentionSeconds));
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("event=truth_health_unknown error=\"{}\"", e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
