package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Kafka client of a node and of the mirror starts from core's {@code KafkaConnection}, so the client
 * settings an operator gives ({@code logkv.kafka.client.*}, the mirror's {@code --source-kafka-client} and
 * {@code --target-kafka-client}: TLS, SASL) reach all of them. A client that set its bootstrap servers itself
 * would miss them and fail only against a secured cluster.
 */
class KafkaClientsTest {

    private static final List<String> ROLES = List.of("log-writer", "materializer", "compactor", "mirror", "query-service");

    @Test
    void noRoleSetsItsOwnBootstrapServers() throws IOException {
        for (String role : ROLES) {
            Path sources = RepositoryFiles.path(role + "/src/main/java");
            assertThat(sources).isDirectory();
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String code = Files.readString(file);
                    assertThat(code).as(file + " builds a Kafka client without KafkaConnection")
                            .doesNotContain("BOOTSTRAP_SERVERS_CONFIG")
                            .doesNotContain("\"bootstrap.servers\"");
                }
            }
        }
    }
}
