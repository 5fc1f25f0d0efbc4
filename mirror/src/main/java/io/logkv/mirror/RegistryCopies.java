package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.writer.NamespaceRegistryTopic;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers each mirrored namespace in the target region's namespace registry, with the source's settings
 * and the source region as its home, so that the target region's nodes serve the copy (reads only) and
 * know where its writes go. A namespace the target registry already holds with another home (its own, or
 * another region's) is refused: the copy would mix two namespaces' truth.
 */
final class RegistryCopies {

    private static final Logger log = LoggerFactory.getLogger(RegistryCopies.class);
    /** Of the clients that read and write registries for the mirror and the promotion. */
    static final String CLIENT_ID = "logkv-mirror-registry";

    private final MirrorSettings settings;
    private final Admin target;
    private final NamespaceRegistryTopic sourceRegistry;
    private final NamespaceRegistryTopic targetRegistry;

    RegistryCopies(MirrorSettings settings, Admin target) {
        this.settings = settings;
        this.target = target;
        this.sourceRegistry = registryOf(settings.sourceKafka(), settings);
        this.targetRegistry = registryOf(settings.targetKafka(), settings);
    }

    /** A region's registry as the mirror and the promotion reach it, each call bounded by the mirror's settings. */
    static NamespaceRegistryTopic registryOf(KafkaConnection region, MirrorSettings settings) {
        return new NamespaceRegistryTopic(region, CLIENT_ID, settings.kafkaTimeout(), settings.positionsReadTimeout());
    }

    /**
     * Makes the target registry name the namespace of {@code topic} with the source's settings and the source
     * region as home; does nothing when it already does.
     *
     * @throws MirrorRefusedException when the target registry holds the namespace with another home
     */
    void register(String topic) {
        NamespaceName namespace = NamespaceName.ofTopic(topic);
        if (namespace == null) {
            return;
        }
        Optional<NamespaceSettings> current = check(topic);
        Optional<NamespaceSettings> source = latest(sourceRegistry, namespace);
        if (source.isEmpty()) {
            log.warn("event=mirror_registry_missing topic={} reason=\"the source region's registry has no such namespace\"", topic);
            return;
        }
        NamespaceSettings wanted = source.get().withHome(settings.sourceRegion());
        if (current.isPresent() && current.get().equals(wanted)) {
            return;
        }
        write(namespace, wanted);
        log.info("event=mirror_namespace_registered namespace={} target={} home={}", namespace, settings.targetRegion(),
                settings.sourceRegion());
    }

    /**
     * The target registry's entry of the namespace of {@code topic}, if any.
     *
     * @throws MirrorRefusedException when it names another home than the source region
     */
    Optional<NamespaceSettings> check(String topic) {
        NamespaceName namespace = NamespaceName.ofTopic(topic);
        if (namespace == null) {
            return Optional.empty();
        }
        Optional<NamespaceSettings> current = latest(targetRegistry, namespace);
        if (current.isPresent() && !settings.sourceRegion().equals(current.get().home())) {
            throw new MirrorRefusedException("namespace " + namespace + " exists in region " + settings.targetRegion()
                    + " with home " + (current.get().home() == null ? settings.targetRegion() : current.get().home())
                    + ": a copy from " + settings.sourceRegion() + " would mix two namespaces");
        }
        return current;
    }

    /** Both regions' registries, each read to its end once: every namespace's latest settings, encoded. */
    record Entries(Map<String, byte[]> source, Map<String, byte[]> target) {
    }

    /** Reads both registries to their ends. */
    Entries read() {
        return new Entries(sourceRegistry.readToEnd(), targetRegistry.readToEnd());
    }

    /**
     * The topics of {@code topics} whose namespace this mirror carries: those the target region's registry holds
     * with the source region as home, and those it does not hold yet while the source region is their home (or
     * no registry says). A namespace whose home is the target region (its own, or one promoted there), or
     * another region, is not carried, nor one the source holds only as a copy of another region's.
     */
    List<String> carried(Entries entries, List<String> topics) {
        return topics.stream().filter(topic -> {
            NamespaceName namespace = NamespaceName.ofTopic(topic);
            if (namespace == null) {
                return true;
            }
            byte[] target = entries.target().get(namespace.value());
            if (target != null) {
                // While a promotion is under way both registries name the other region: the mirror into the region
                // promoted goes on until that region names itself, so that it carries the old home's log to its end,
                // and the mirror back is refused at its start until then (it needs the promoted region to be home).
                return parsed(target).map(entry -> settings.sourceRegion().equals(entry.home())).orElse(true);
            }
            byte[] source = entries.source().get(namespace.value());
            return source == null || parsed(source).map(entry -> !entry.homeElsewhere(settings.sourceRegion())).orElse(true);
        }).toList();
    }

    /** Whether the source region's registry holds the namespace of {@code topic} (as its home's or as a copy). */
    boolean holdsInSource(String topic) {
        NamespaceName namespace = NamespaceName.ofTopic(topic);
        return namespace != null && latest(sourceRegistry, namespace).isPresent();
    }

    /** Whether the source region's registry names the source region as the home of the namespace of {@code topic}. */
    boolean homeInSource(String topic) {
        NamespaceName namespace = NamespaceName.ofTopic(topic);
        if (namespace == null) {
            return false;
        }
        return latest(sourceRegistry, namespace).map(entry -> !entry.homeElsewhere(settings.sourceRegion())).orElse(false);
    }

    /**
     * Carries changes of the source's settings (a default time to live, the choice for writes to copies) to the
     * target registry for every namespace of {@code topics} already registered there with the source as home; a
     * namespace not registered yet is left to its mirror's start.
     */
    void refresh(Entries entries, Collection<String> topics) {
        Map<String, byte[]> source = entries.source();
        Map<String, byte[]> target = entries.target();
        for (String topic : topics) {
            NamespaceName namespace = NamespaceName.ofTopic(topic);
            if (namespace == null || !source.containsKey(namespace.value()) || !target.containsKey(namespace.value())) {
                continue;
            }
            NamespaceSettings current = decode(namespace, target.get(namespace.value()));
            if (!settings.sourceRegion().equals(current.home())) {
                continue; // not a copy from the source: the mirror of this topic refuses it
            }
            NamespaceSettings wanted = decode(namespace, source.get(namespace.value())).withHome(settings.sourceRegion());
            if (!current.equals(wanted)) {
                write(namespace, wanted);
                log.info("event=mirror_namespace_settings_carried namespace={} target={}", namespace, settings.targetRegion());
            }
        }
    }

    /** The namespace's settings in a region's registry, read to its end; empty when absent or deleted. */
    private static Optional<NamespaceSettings> latest(NamespaceRegistryTopic registry, NamespaceName namespace) {
        try {
            return registry.latest(namespace);
        } catch (IllegalArgumentException e) {
            throw unparsed(namespace, e);
        }
    }

    /** An entry's settings; empty when it does not parse (its mirror's start refuses it, saying why). */
    private static Optional<NamespaceSettings> parsed(byte[] value) {
        try {
            return Optional.of(NamespaceSettings.decode(value));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static NamespaceSettings decode(NamespaceName namespace, byte[] value) {
        try {
            return NamespaceSettings.decode(value);
        } catch (IllegalArgumentException e) {
            throw unparsed(namespace, e);
        }
    }

    private static MirrorRefusedException unparsed(NamespaceName namespace, IllegalArgumentException e) {
        return new MirrorRefusedException("the registry entry of " + namespace + " does not parse: " + e.getMessage());
    }

    private void write(NamespaceName namespace, NamespaceSettings wanted) {
        NamespaceRegistryTopic.ensure(new TruthTopics(target, new TruthTopicRequirements(TruthTopicRequirements.MIN_REPLICATION_FACTOR,
                TruthTopicRequirements.MIN_IN_SYNC_REPLICAS, 1024 * 1024), settings.kafkaTimeout()));
        targetRegistry.write(namespace, wanted);
    }
}
