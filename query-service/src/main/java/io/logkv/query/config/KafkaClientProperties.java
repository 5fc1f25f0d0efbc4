package io.logkv.query.config;

import io.logkv.core.KafkaConnection;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.kafka.*} properties: how to reach Kafka.
 *
 * @param bootstrapServers the Kafka brokers
 * @param adminTimeout     the bound on each administrative call (topic creation, descriptions)
 * @param client           Kafka client settings for reaching the cluster, given to every producer, consumer and
 *                         admin client of the node by their Kafka names: {@code security.protocol}, {@code ssl.*},
 *                         {@code sasl.*} and a few connection settings ({@link KafkaConnection#ALLOWED_PREFIXES});
 *                         any other is refused at start
 */
public record KafkaClientProperties(
        @DefaultValue("localhost:19092") String bootstrapServers,
        @DefaultValue("15s") Duration adminTimeout,
        Map<String, String> client) {

    public KafkaClientProperties {
        client = client == null ? Map.of() : Map.copyOf(client);
    }

    /** How every Kafka client of the node reaches the cluster. */
    public KafkaConnection connection() {
        return new KafkaConnection(bootstrapServers, client);
    }
}
