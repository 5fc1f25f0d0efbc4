package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.NamespaceRegistryWriter;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import java.time.Duration;

/**
 * A home region's namespaces, created, changed and deleted as its nodes do it ({@link NamespaceRegistryWriter}): the
 * truth topic first, then the registry entry; on deletion the entry first, then the topics.
 */
final class HomeNamespaces implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final TruthTopics topics;
    private final NamespaceRegistryWriter registry;

    HomeNamespaces(KafkaTestCluster home) {
        this.topics = new TruthTopics(home.admin(), new TruthTopicRequirements(3, 2, 1024 * 1024 + 64 * 1024), TIMEOUT);
        this.registry = new NamespaceRegistryWriter(KafkaConnection.of(home.bootstrapServers()), topics, TIMEOUT);
        registry.ensureRegistryTopic();
    }

    /** Creates the namespace, or changes its settings. */
    void put(String namespace, NamespaceSettings settings) {
        registry.put(new NamespaceName(namespace), settings);
    }

    /** The first half of a creation: the truth topic, before the registry entry that makes it a namespace. */
    void createTopicOnly(String namespace, int partitions) {
        topics.ensure(new NamespaceName(namespace).truthTopic(), partitions);
    }

    void delete(String namespace) {
        registry.remove(new NamespaceName(namespace));
    }

    @Override
    public void close() {
        registry.close();
    }
}
