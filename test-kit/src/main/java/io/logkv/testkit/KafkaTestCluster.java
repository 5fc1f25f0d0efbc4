package io.logkv.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real KRaft Kafka cluster of several brokers, configured as LogKV requires in production: replication
 * factor 3, {@code min.insync.replicas=2}, unclean leader election off, and internal topics (offsets,
 * transactions) replicated the same way ({@link BrokerSettings}). Its brokers run inside the test JVM, or in
 * containers when {@value KafkaFixture#PROPERTY}{@code =testcontainers} asks for that and a Docker engine is
 * found; where none is, the cluster says so in the log and runs in-process ({@link KafkaFixtureSelection}).
 *
 * <p>{@link #shared()} gives one cluster per test JVM for tests that do not harm it; tests that stop
 * brokers {@link #start(int) start} their own.
 */
public final class KafkaTestCluster implements AutoCloseable {

    private static KafkaTestCluster shared;
    private static final Map<String, KafkaTestCluster> sharedRegions = new java.util.TreeMap<>();

    /** The user a client of a {@link #startSasl(int) SASL cluster} authenticates as (a super user there). */
    public static final String SASL_USER = "plain-admin";
    /** That user's password. */
    public static final String SASL_PASSWORD = "plain-admin-secret";

    private static final Logger log = LoggerFactory.getLogger(KafkaTestCluster.class);

    private final KafkaBrokers brokers;
    private final KafkaFixture fixture;
    private final Map<String, String> clientSettings;
    private final Admin admin;

    private KafkaTestCluster(KafkaBrokers brokers, KafkaFixture fixture, Map<String, String> clientSettings) {
        this.brokers = brokers;
        this.fixture = fixture;
        this.clientSettings = Map.copyOf(clientSettings);
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        this.admin = Admin.create(props);
    }

    /** Where this cluster's brokers run: what {@value KafkaFixture#PROPERTY} asked for, when that can run here. */
    public KafkaFixture fixture() {
        return fixture;
    }

    /**
     * The Kafka client settings a client of this cluster needs besides the bootstrap servers: none for a
     * plaintext cluster; SASL/PLAIN as {@link #SASL_USER} for a {@link #startSasl(int) SASL cluster}.
     */
    public Map<String, String> clientSettings() {
        return clientSettings;
    }

    /** The client settings for SASL/PLAIN with the given credentials. */
    public static Map<String, String> saslPlainSettings(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                        + "\" password=\"" + password + "\";");
    }

    /**
     * The cluster shared by every test in this JVM that leaves brokers running. It is closed when the
     * JUnit session ends ({@link SharedClusterSessionListener}), while the JVM is still whole: closing
     * in-process brokers from a shutdown hook races the JVM's exit and can fail the test run.
     */
    public static synchronized KafkaTestCluster shared() {
        if (shared == null) {
            shared = start(3);
        }
        return shared;
    }

    /**
     * A cluster shared by every test in this JVM that stands for the region {@code region}: each region
     * is a cluster of its own (three brokers), apart from {@link #shared()} and from the other regions,
     * so that mirroring between regions crosses real cluster boundaries. Closed with the shared cluster.
     */
    public static synchronized KafkaTestCluster sharedRegion(String region) {
        return sharedRegions.computeIfAbsent(region, name -> start(3));
    }

    /** Starts a cluster of {@code brokers} combined broker-and-controller-capable nodes. */
    public static KafkaTestCluster start(int brokers) {
        return start(brokers, SecurityProtocol.PLAINTEXT);
    }

    /**
     * Starts a cluster whose brokers and controllers take connections only over SASL/PLAIN: a client without
     * {@link #clientSettings()} or with wrong credentials cannot use it.
     */
    public static KafkaTestCluster startSasl(int brokers) {
        return start(brokers, SecurityProtocol.SASL_PLAINTEXT);
    }

    private static KafkaTestCluster start(int brokers, SecurityProtocol protocol) {
        boolean sasl = protocol == SecurityProtocol.SASL_PLAINTEXT;
        KafkaFixtureSelection selection = KafkaFixtureSelection.choose(System.getProperty(KafkaFixture.PROPERTY), sasl,
                ContainerBrokers::dockerMissing);
        selection.fallback().ifPresent(reason -> log.warn("event=kafka_fixture_fallback property={} requested={} used={} reason=\"{}\"",
                KafkaFixture.PROPERTY, selection.requested().value(), selection.used().value(), reason));
        KafkaBrokers started = selection.used() == KafkaFixture.TESTCONTAINERS
                ? ContainerBrokers.start(brokers)
                : InProcessBrokers.start(brokers, protocol);
        log.info("event=kafka_test_cluster_started fixture={} brokers={} bootstrap_servers={}",
                selection.used().value(), brokers, started.bootstrapServers());
        return new KafkaTestCluster(started, selection.used(), sasl ? saslPlainSettings(SASL_USER, SASL_PASSWORD) : Map.of());
    }

    /** Closes the shared cluster, if one was started. */
    static synchronized void closeShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
        sharedRegions.values().forEach(KafkaTestCluster::close);
        sharedRegions.clear();
    }

    public String bootstrapServers() {
        return brokers.bootstrapServers();
    }

    /** An admin client owned by the cluster; do not close it. */
    public Admin admin() {
        return admin;
    }

    /** The broker id that currently leads {@code partition} of {@code topic}. */
    public int leaderOf(String topic, int partition) {
        try {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            TopicPartitionInfo info = description.partitions().get(partition);
            Node leader = info.leader();
            if (leader == null) {
                throw new IllegalStateException(topic + "-" + partition + " has no leader");
            }
            return leader.id();
        } catch (Exception e) {
            throw new IllegalStateException("could not describe " + topic, e);
        }
    }

    /** Shuts one broker down (a controlled shutdown: its partitions move their leadership away). */
    public void stopBroker(int brokerId) {
        brokers.stopBroker(brokerId);
    }

    /**
     * Every record a {@code read_committed} consumer sees in {@code partitions}, from the start to the end
     * as it is now: what the log really holds, independent of any LogKV replica.
     */
    public List<ConsumerRecord<byte[], byte[]>> readCommitted(List<TopicPartition> partitions) {
        return readCommitted(bootstrapServers(), partitions);
    }

    /** The same, of any Kafka cluster (brokers run as processes, say). */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrapServers, List<TopicPartition> partitions) {
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader(bootstrapServers)) {
            return readToEnd(consumer, partitions, Duration.ofSeconds(60)).records();
        }
    }

    /**
     * Every record of every partition of {@code topic} that a {@code read_committed} consumer sees, from the
     * start to the end as it is now, with those ends; fails when that takes longer than {@code timeout}.
     */
    public static TopicContents readTopic(String bootstrapServers, String topic, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader(bootstrapServers)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            return readToEnd(consumer, partitions, timeout);
        }
    }

    /**
     * What a topic held when it was read.
     *
     * @param records its records, in the order they were read (offset order within each partition)
     * @param ends    each partition's end offset when the read began
     */
    public record TopicContents(List<ConsumerRecord<byte[], byte[]>> records, Map<Integer, Long> ends) {
    }

    private static KafkaConsumer<byte[], byte[]> committedReader(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static TopicContents readToEnd(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + partitions + " to its end within " + timeout.toSeconds() + " s");
            }
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        Map<Integer, Long> byPartition = new java.util.TreeMap<>();
        ends.forEach((tp, end) -> byPartition.put(tp.partition(), end));
        return new TopicContents(records, byPartition);
    }

    /** Ids of the brokers of this cluster, running or not. */
    public Set<Integer> brokerIds() {
        return brokers.brokerIds();
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        brokers.close();
    }
}
