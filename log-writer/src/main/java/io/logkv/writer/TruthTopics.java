package io.logkv.writer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Creates the compacted topics that hold LogKV's truth, and checks that existing ones are safe. */
public final class TruthTopics {

    private final Admin admin;
    private final TruthTopicRequirements requirements;
    private final Duration timeout;

    public TruthTopics(Admin admin, TruthTopicRequirements requirements, Duration timeout) {
        this.admin = admin;
        this.requirements = requirements;
        this.timeout = timeout;
    }

    /**
     * Creates {@code topic} with {@code partitions} partitions unless it exists, then checks it.
     *
     * @return the partition count of the topic as it now is (an existing topic keeps its own)
     * @throws UnsafeTruthTopicException when the topic exists with unsafe settings
     */
    public int ensure(String topic, int partitions) {
        return ensure(topic, partitions, Map.of());
    }

    /** As {@link #ensure(String, int)}, a topic created with some settings of its own beside the truth's. */
    public int ensure(String topic, int partitions, Map<String, String> overrides) {
        Map<String, String> config = new java.util.HashMap<>(requirements.topicConfig());
        config.putAll(overrides);
        create(topic, partitions, config);
        awaitVisible(topic);
        return verifySettled(topic);
    }

    /**
     * Checks a topic that may have just been created: a broker whose metadata lags can describe it
     * without its configuration for a moment (and so as unsafe), so the check is repeated until it
     * passes or the admin timeout passes; a topic that really is unsafe fails after that.
     */
    private int verifySettled(String topic) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return verify(topic);
            } catch (UnsafeTruthTopicException | KafkaUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaUnavailableException("interrupted checking topic " + topic, e);
            }
        }
    }

    /**
     * Creates a queue topic (a namespace's ingest or dead-letter topic) unless it exists.
     *
     * @return its partition count as it now is
     */
    public int ensureQueue(String topic, int partitions) {
        create(topic, partitions, requirements.queueTopicConfig());
        // The description that showed the topic with its partitions: asking again may reach a broker that
        // describes it without them.
        return awaitVisible(topic).partitions().size();
    }

    private void create(String topic, int partitions, Map<String, String> config) {
        await(admin.createTopics(List.of(new NewTopic(topic, partitions, (short) requirements.replicationFactor())
                .configs(config))).all(), "create topic " + topic, TopicExistsException.class);
    }

    /**
     * Waits until a new topic's metadata has reached the broker that answers descriptions, partitions
     * included: a broker whose metadata lags can describe a topic it has just learned of with no
     * partitions yet (which made a namespace created while nodes joined look like a conflict, 409).
     */
    private TopicDescription awaitVisible(String topic) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<TopicDescription> described = describe(topic);
            if (described.isPresent() && !described.get().partitions().isEmpty()) {
                return described.get();
            }
            if (System.nanoTime() > deadline) {
                throw new KafkaUnavailableException("topic " + topic + " was created but is not visible", null);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaUnavailableException("interrupted waiting for topic " + topic, e);
            }
        }
    }

    /**
     * Checks an existing topic against the requirements.
     *
     * @return its partition count
     * @throws UnsafeTruthTopicException when its settings could lose acknowledged writes
     */
    public int verify(String topic) {
        TopicDescription description = describe(topic)
                .orElseThrow(() -> new UnsafeTruthTopicException(List.of(topic + " does not exist")));
        if (description.partitions().isEmpty()) {
            // A broker whose metadata lags; a topic always has partitions (verifySettled asks again).
            throw new KafkaUnavailableException("topic " + topic + " was described without its partitions", null);
        }
        List<Integer> replicas = description.partitions().stream().map(p -> p.replicas().size()).toList();
        List<String> problems = requirements.violations(topic, replicas, config(topic));
        if (!problems.isEmpty()) {
            throw new UnsafeTruthTopicException(problems);
        }
        return description.partitions().size();
    }

    /** Deletes a topic; a topic that is already gone is not an error. */
    public void delete(String topic) {
        await(admin.deleteTopics(List.of(topic)).all(), "delete topic " + topic, UnknownTopicOrPartitionException.class);
    }

    /** The topic's description, or empty when it does not exist. */
    public Optional<TopicDescription> describe(String topic) {
        Map<String, TopicDescription> described = await(admin.describeTopics(List.of(topic)).allTopicNames(),
                "describe topic " + topic, UnknownTopicOrPartitionException.class);
        return Optional.ofNullable(described == null ? null : described.get(topic));
    }

    private Map<String, String> config(String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = await(admin.describeConfigs(List.of(resource)).all(), "read the configuration of " + topic, null)
                .get(resource);
        return config.entries().stream()
                .filter(entry -> entry.value() != null)
                .collect(Collectors.toMap(e -> e.name(), e -> e.value()));
    }

    /**
     * Waits, within the admin timeout, for an admin call. A failure of the {@code tolerated} kind answers
     * null (the topic already exists, or is already gone); anything else means Kafka is unavailable.
     */
    private <T> T await(KafkaFuture<T> call, String what, Class<? extends Throwable> tolerated) {
        try {
            return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (tolerated != null && tolerated.isInstance(e.getCause())) {
                return null;
            }
            throw new KafkaUnavailableException("could not " + what, e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaUnavailableException("timed out trying to " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted trying to " + what, e);
        }
    }
}
