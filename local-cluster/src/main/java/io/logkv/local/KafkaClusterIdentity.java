package io.logkv.local;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.Uuid;

/**
 * What a local cluster keeps across restarts, in {@code <kafka-dir>/cluster.properties}: its id, the
 * metadata directory id of each controller, and its ports. The controller ports and directory ids are
 * written into the KRaft log when the storage is formatted, so the controllers must come back on the
 * same ports; the broker ports are remembered so that a restart without options finds the cluster again.
 */
record KafkaClusterIdentity(String clusterId, List<String> controllerDirectoryIds, KafkaPorts ports) {

    static final String FILE_NAME = "cluster.properties";

    KafkaClusterIdentity {
        controllerDirectoryIds = List.copyOf(controllerDirectoryIds);
    }

    static KafkaClusterIdentity create(KafkaPorts ports) {
        List<String> directoryIds = IntStream.range(0, ports.nodes())
                .mapToObj(i -> Uuid.randomUuid().toString())
                .toList();
        return new KafkaClusterIdentity(Uuid.randomUuid().toString(), directoryIds, ports);
    }

    KafkaClusterIdentity withPorts(KafkaPorts newPorts) {
        return new KafkaClusterIdentity(clusterId, controllerDirectoryIds, newPorts);
    }

    static Optional<KafkaClusterIdentity> load(Path kafkaDir) throws IOException {
        Path file = kafkaDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        }
        return Optional.of(new KafkaClusterIdentity(
                required(properties, "cluster.id", file),
                split(required(properties, "controller.directory.ids", file)),
                new KafkaPorts(ports(properties, "broker.ports", file), ports(properties, "controller.ports", file))));
    }

    void save(Path kafkaDir) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("cluster.id", clusterId);
        properties.setProperty("controller.directory.ids", String.join(",", controllerDirectoryIds));
        properties.setProperty("broker.ports", join(ports.brokerPorts()));
        properties.setProperty("controller.ports", join(ports.controllerPorts()));
        Files.createDirectories(kafkaDir);
        // Written whole or not at all: a half-written identity would strand the formatted storage.
        Path temporary = kafkaDir.resolve(FILE_NAME + ".tmp");
        try (Writer writer = Files.newBufferedWriter(temporary)) {
            properties.store(writer, "Identity of this local Kafka cluster; written once, when its storage was formatted");
        }
        Files.move(temporary, kafkaDir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
    }

    /** The {@code --initial-controllers} argument of {@code kafka-storage format}: every node is a voter. */
    String initialControllers() {
        return IntStream.rangeClosed(1, ports.nodes())
                .mapToObj(node -> node + "@" + KafkaPorts.HOST + ":" + ports.controllerPort(node) + ":"
                        + controllerDirectoryIds.get(node - 1))
                .collect(Collectors.joining(","));
    }

    private static String required(Properties properties, String key, Path file) {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(file + " lacks " + key);
        }
        return value.trim();
    }

    private static List<Integer> ports(Properties properties, String key, Path file) {
        return split(required(properties, key, file)).stream().map(Integer::valueOf).toList();
    }

    private static String join(List<Integer> ports) {
        return ports.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static List<String> split(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).toList();
    }
}
