package io.logkv.mirror;

import io.logkv.core.DaemonThreads;
import io.logkv.core.KafkaConnection;
import io.logkv.core.MirrorPosition;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror from one region to another: a {@link TopicMirror} per selected namespace's truth topic, and a
 * rescan every {@link MirrorSettings#rescan()} that starts mirrors for namespaces that appeared, starts
 * again those that were refused or fenced, and carries changed namespace settings into the target registry.
 */
public final class Mirror implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Mirror.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final MirrorSettings settings;
    private final MeterRegistry meters;
    private final MirrorHooks hooks;
    private final Admin source;
    private final Admin target;
    private final TargetTopics targetTopics;
    private final PositionsTopic positions;
    private final PositionsTopic sourcePositions;
    private final CopyIncarnations incarnations;
    private final OpenTransactions openTransactions;
    private final RegistryCopies registries;
    private final Map<String, TopicMirror> mirrors = new ConcurrentHashMap<>();
    private final ScheduledExecutorService rescans = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("mirror-rescan"));

    public Mirror(MirrorSettings settings, MeterRegistry meters) {
        this(settings, meters, MirrorHooks.NONE);
    }

    Mirror(MirrorSettings settings, MeterRegistry meters, MirrorHooks hooks) {
        this.settings = settings;
        this.meters = meters;
        this.hooks = hooks;
        this.source = admin(settings.sourceKafka());
        this.target = admin(settings.targetKafka());
        this.targetTopics = new TargetTopics(source, target, settings.kafkaTimeout());
        this.positions = new PositionsTopic(target, settings.targetKafka(), settings);
        this.sourcePositions = new PositionsTopic(source, settings.sourceKafka(), settings);
        this.incarnations = new CopyIncarnations(target, settings.targetKafka(), settings);
        this.openTransactions = new OpenTransactions(target, settings.kafkaTimeout());
        this.registries = new RegistryCopies(settings, target);
    }

    /** Creates the positions and incarnations topics if needed, starts the selected topics' mirrors, and rescans from then on. */
    public void start() {
        // One partition, compacted, replicated like the truth: the positions are as durable as the records.
        TargetTopics.ownTopics(target, settings.kafkaTimeout()).ensure(MirrorPosition.TOPIC, 1);
        incarnations.ensure();
        log.info("event=mirror_start source={} target={} namespaces={}", settings.sourceRegion(), settings.targetRegion(),
                settings.namespaces());
        long intervalMs = settings.rescan().toMillis();
        rescans.scheduleWithFixedDelay(this::rescanQuietly, 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    /** Lists the source's topics and starts a mirror for each selected one that has none running. */
    synchronized void rescan() {
        List<String> selected = settings.namespaces().truthTopicsAmong(
                AdminCalls.await(source.listTopics().names(), "list the source region's topics", settings.kafkaTimeout()));
        RegistryCopies.Entries entries = registries.read();
        List<String> topics = registries.carried(entries, selected);
        for (String gone : mirrors.keySet().stream().filter(topic -> !topics.contains(topic)).toList()) {
            // The namespace was deleted in its home region, is no longer selected, or has another home now (a
            // promotion): its mirror stops.
            stopQuietly(mirrors.remove(gone));
            log.info("event=mirror_stopped topic={} reason=\"{}\"", gone, selected.contains(gone)
                    ? "the target region's registry names another home than " + settings.sourceRegion()
                    : "no longer in the source region or not selected");
        }
        Map<String, Uuid> ids = targetTopics.sourceTopicIds(topics);
        for (String topic : topics) {
            TopicMirror current = mirrors.get(topic);
            if (current == null || current.state().isFinal()) {
                TopicMirror mirror = new TopicMirror(settings, topic, targetTopics, positions, sourcePositions, incarnations,
                        openTransactions, current == null ? new MirrorMeters(meters, settings, topic) : current.meters(), hooks, registries);
                mirrors.put(topic, mirror);
                mirror.start();
            } else if (current.awaitsRegistry() && RegistryCopies.heldInSource(entries, topic)) {
                // Started while the namespace was being created (its topic first, its entry after): now that the source's
                // registry holds it, a resume binds the lease and registers the copy.
                log.info("event=mirror_resume_registered topic={}", topic);
                current.resumeAgain();
            } else if (ids.containsKey(topic) && current.copiesAnotherThan(ids.get(topic))) {
                // Deleted and created again since the mirror resumed: its resume replaces the copy of the old log.
                log.info("event=mirror_resume_incarnation topic={} source_topic_id={}", topic, ids.get(topic));
                current.resumeAgain();
            }
        }
        hooks.beforeRegistryRefresh();
        // Settings changed in the home region since a copy was registered reach the copy at the next rescan.
        registries.refresh(entries, mirrors.keySet());
    }

    private void rescanQuietly() {
        try {
            rescan();
        } catch (RuntimeException e) {
            log.warn("event=mirror_rescan_failed error=\"{}\"", e.toString());
        }
    }

    /** Each mirrored topic's state, by topic: what the process's health and the tests look at. */
    public Map<String, String> states() {
        Map<String, String> states = new TreeMap<>();
        mirrors.forEach((topic, mirror) -> states.put(topic, mirror.state().name()));
        return states;
    }

    /** Why a topic's mirror is refused, retrying or fenced; empty when it mirrors. */
    public String problem(String topic) {
        TopicMirror mirror = mirrors.get(topic);
        return mirror == null ? "" : mirror.problem();
    }

    @Override
    public void close() {
        rescans.shutdownNow();
        mirrors.values().forEach(Mirror::stopQuietly);
        source.close(Duration.ofSeconds(5));
        target.close(Duration.ofSeconds(5));
    }

    private static void stopQuietly(TopicMirror mirror) {
        try {
            mirror.stop(STOP_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Admin admin(KafkaConnection kafka) {
        return Admin.create(kafka.properties());
    }
}
