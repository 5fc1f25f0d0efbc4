package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.writer.NamespaceRegistryTopic;
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
     * @return whether the target registry names the namespace now: not when the source's registry does not hold it
     * @throws MirrorRefusedException when the target registry holds the namespace with another home
     */
    boolean register(String topic) {
        NamespaceName namespace = NamespaceName.ofTopic(topic);
        if (namespace == null) {
            return false;
        }
        // The source first, the target last: the target's entry is written right after it is read (see refresh).
        Optional<NamespaceSettings> source = latest(sourceRegistry, namespace);
        Optional<NamespaceSettings> current = check(topic);
        if (source.isEmpty()) {
            return false;
        }
        NamespaceSettings wanted = source.get().withHome(settings.sourceRegion());
        if (current.isPresent() && current.get().equals(wanted)) {
            return true;
        }
        write(namespace, wanted);
        log.info("event=mirror_namespace_registered namespace={} target={} home={}", namespace, settings.targetRegion(),
                settings.sourceRegion());
        return true;
    }

    /**
     * Drops the namespace of {@code topic} from the target registry when it is registered there as a copy from the source
     * (the target's nodes then drop their copy), as a home's registry drops a namespace before its topic is deleted.
     */
    void drop(String topic) {
        NamespaceName namespace = NamespaceName.ofTopic(topic);
        if (namespace != null && check(topic).isPresent()) {
            write(namespace, null);
            log.info("event=mirror_namespace_dropped namespace={} target={}", namespace, settings.targetRegion());
        }
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

    /** Whether {@code entries} hold the namespace of {@code topic} in the source region's registry. */
    static boolean heldInSource(Entries entries, String topic) {
        NamespaceName namespace = NamespaceName.ofTopic(topic);
        return namespace != null && entries.source().containsKey(namespace.value());
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
     * namespace not registered yet is left to its mirror's start. {@code entries} only says which namespaces may have
     * changed: each is read again just before it is written, because a promotion may have rewritten the target's entry
     * since (naming the target itself home), and an entry written from the older read would take the home back.
     */
    void refresh(Entries entries, Collection<String> topics) {
        Map<String, byte[]> source = entries.source();
        Map<String, byte[]> target = entries.target();
        for (String topic : topics) {
            NamespaceName namespace = NamespaceName.ofTopic(topic);
            if (namespace == null || !source.containsKey(namespace.value()) || !target.containsKey(namespace.value())) {
                continue;
            }
            NamespaceSettings seen = decode(namespace, target.get(namespace.value()));
            if (!settings.sourceRegion().equals(seen.home())
                    || seen.equals(decode(namespace, source.get(namespace.value())).withHome(settings.sourceRegion()))) {
                continue; // not a copy from the source (its mirror refuses it), or nothing changed
            }
            Optional<NamespaceSettings> home = latest(sourceRegistry, namespace);
            Optional<NamespaceSettings> current = latest(targetRegistry, namespace);
            if (home.isEmpty() || current.isEmpty() || !settings.sourceRegion().equals(current.get().home())) {
                continue; // changed since the rescan read it: deleted, or promoted
            }
            NamespaceSettings wanted = home.get().withHome(settings.sourceRegion());
            if (!current.get().equals(wanted)) {
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
        NamespaceRegistryTopic.ensure(TargetTopics.ownTopics(target, settings.kafkaTimeout()));
        targetRegistry.write(namespace, wanted);
    }
}
