package io.logkv.writer;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Creates, changes and deletes namespaces: creates the truth topic first, then records the namespace in
 * the registry topic, so a namespace is never listed before its topic exists.
 */
public final class NamespaceRegistryWriter implements AutoCloseable {

    private final TruthTopics topics;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Duration timeout;

    public NamespaceRegistryWriter(KafkaConnection kafka, TruthTopics topics, Duration timeout) {
        this.topics = topics;
        this.timeout = timeout;
        this.producer = new KafkaProducer<>(NamespaceRegistryTopic.producerProperties(kafka, timeout, "logkv-namespace-registry"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Creates the registry topic when missing and checks that it is as safe as a truth topic. */
    public void ensureRegistryTopic() {
        NamespaceRegistryTopic.ensure(topics);
    }

    /**
     * Creates the namespace's truth topic when missing, then records its settings.
     *
     * @return the registry position that covers the change (a catalog that reached it knows the namespace)
     * @throws NamespaceConflictException when the topic exists with another partition count
     */
    public long put(NamespaceName namespace, NamespaceSettings settings) {
        int partitions = topics.ensure(namespace.truthTopic(), settings.partitions());
        if (partitions != settings.partitions()) {
            throw new NamespaceConflictException(namespace + " already has " + partitions
                    + " partitions; the partition count of a namespace cannot change");
        }
        ensureQueues(namespace, partitions);
        return send(namespace, settings);
    }

    /**
     * Creates the namespace's ingest topic (partitioned exactly like its truth topic, because owning an
     * ingest partition is owning the truth partition of the same number) and its dead-letter topic.
     */
    public void ensureQueues(NamespaceName namespace, int partitions) {
        int ingestPartitions = topics.ensureQueue(namespace.ingestTopic(), partitions);
        if (ingestPartitions != partitions) {
            throw new NamespaceConflictException(namespace.ingestTopic() + " has " + ingestPartitions
                    + " partitions but the truth topic has " + partitions);
        }
        topics.ensureQueue(namespace.deadLetterTopic(), 1);
    }

    /**
     * Removes the namespace from the registry, then deletes its truth topic.
     *
     * @return the registry position that covers the removal
     */
    public long remove(NamespaceName namespace) {
        long position = send(namespace, null);
        topics.delete(namespace.truthTopic());
        topics.delete(namespace.ingestTopic());
        topics.delete(namespace.deadLetterTopic());
        return position;
    }

    private long send(NamespaceName namespace, NamespaceSettings settings) {
        try {
            return 1 + producer.send(NamespaceRegistryTopic.entry(namespace, settings)).get(timeout.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaUnavailableException("could not record namespace " + namespace, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted recording namespace " + namespace, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
