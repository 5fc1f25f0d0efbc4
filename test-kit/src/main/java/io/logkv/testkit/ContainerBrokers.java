package io.logkv.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.utils.AppInfoParser;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * KRaft brokers in containers of the {@code apache/kafka} image, one per broker, each broker also a voter
 * of the controller quorum, on a network of their own. Clients reach each broker on its mapped port; the
 * brokers reach each other by their network aliases ({@code kafka-0}, {@code kafka-1}, ...). Node ids are
 * 0, 1, 2... as in the in-process cluster.
 */
final class ContainerBrokers implements KafkaBrokers {

    /** The system property naming the image; by default {@code apache/kafka} of the Kafka clients' version. */
    static final String IMAGE_PROPERTY = "logkv.test.kafka.image";

    private static final String CONTROLLER_PORT = "9094";
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(3);
    private static final int STOP_TIMEOUT_SECONDS = 30;

    private final Network network;
    private final List<KafkaContainer> containers;

    private ContainerBrokers(Network network, List<KafkaContainer> containers) {
        this.network = network;
        this.containers = containers;
    }

    /** Why no Docker engine can be used here; empty when one can. */
    static Optional<String> dockerMissing() {
        try {
            DockerClientFactory.instance().client();
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    static String image() {
        return System.getProperty(IMAGE_PROPERTY, "apache/kafka:" + AppInfoParser.getVersion());
    }

    static ContainerBrokers start(int brokers) {
        Network network = Network.newNetwork();
        String voters = IntStream.range(0, brokers).mapToObj(id -> id + "@" + alias(id) + ":" + CONTROLLER_PORT)
                .collect(Collectors.joining(","));
        List<KafkaContainer> containers = new ArrayList<>();
        for (int id = 0; id < brokers; id++) {
            containers.add(new KafkaContainer(DockerImageName.parse(image()).asCompatibleSubstituteFor("apache/kafka"))
                    .withNetwork(network)
                    .withNetworkAliases(alias(id))
                    .withEnv(BrokerSettings.asImageEnvironment())
                    .withEnv("KAFKA_NODE_ID", Integer.toString(id))
                    .withEnv("KAFKA_CONTROLLER_QUORUM_VOTERS", voters)
                    .withStartupTimeout(STARTUP_TIMEOUT));
        }
        ContainerBrokers started = new ContainerBrokers(network, containers);
        try {
            // Together: a broker reports itself running only once the quorum of all of them has formed.
            Startables.deepStart(containers).join();
            return started;
        } catch (RuntimeException e) {
            started.close();
            throw new IllegalStateException("could not start the Kafka cluster in containers of " + image(), e);
        }
    }

    private static String alias(int id) {
        return "kafka-" + id;
    }

    @Override
    public String bootstrapServers() {
        return containers.stream().map(KafkaContainer::getBootstrapServers).collect(Collectors.joining(","));
    }

    @Override
    public Set<Integer> brokerIds() {
        return IntStream.range(0, containers.size()).boxed().collect(Collectors.toCollection(TreeSet::new));
    }

    @Override
    public void stopBroker(int brokerId) {
        if (brokerId < 0 || brokerId >= containers.size()) {
            throw new IllegalArgumentException("no broker " + brokerId + " in " + brokerIds());
        }
        KafkaContainer container = containers.get(brokerId);
        // docker stop: SIGTERM, on which Kafka shuts down in a controlled way, as the in-process broker's shutdown.
        container.getDockerClient().stopContainerCmd(container.getContainerId()).withTimeout(STOP_TIMEOUT_SECONDS).exec();
    }

    @Override
    public void close() {
        containers.forEach(KafkaContainer::stop);
        network.close();
    }
}
