package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.NamespaceRegistryTopic;
import java.time.Duration;
import java.util.Optional;

/**
 * A namespace's entry in one region's registry, as a promotion reads and rewrites it: the entry names the
 * namespace's home, and a promotion hands the home over by rewriting it in both regions (steps 1 and 5).
 */
final class RegistryEntry {

    private final KafkaConnection region;
    private final NamespaceName namespace;
    private final NamespaceRegistryTopic registry;

    /** The entry of {@code namespace} in the registry of the cluster {@code region} reaches. */
    RegistryEntry(KafkaConnection region, NamespaceName namespace, MirrorSettings settings) {
        this.region = region;
        this.namespace = namespace;
        this.registry = RegistryCopies.registryOf(region, settings);
    }

    /**
     * The home a region's registry names for {@code namespace}: empty when the region holds no such namespace; the
     * region itself ({@code self}) when the entry names no other.
     */
    static Optional<RegionName> homeIn(KafkaConnection region, RegionName self, NamespaceName namespace, Duration timeout) {
        Optional<NamespaceSettings> entry;
        try {
            entry = new NamespaceRegistryTopic(region, RegistryCopies.CLIENT_ID, timeout, timeout).latest(namespace);
        } catch (KafkaUnavailableException e) {
            throw new PromotionIncompleteException("could not read the namespace registry at " + region.bootstrapServers(), e);
        }
        return entry.map(settings -> settings.home() == null ? self : settings.home());
    }

    /** The namespace's entry, read to the registry's end; empty when the region holds none. */
    Optional<NamespaceSettings> read() {
        try {
            return registry.latest(namespace);
        } catch (IllegalArgumentException e) {
            throw new PromotionRefusedException("the registry entry of " + namespace + " at " + region.bootstrapServers()
                    + " does not parse: " + e.getMessage());
        }
    }

    /** Replaces the namespace's entry (the registry exists: the region holds the namespace). */
    void write(NamespaceSettings entry) {
        registry.write(namespace, entry);
    }
}
