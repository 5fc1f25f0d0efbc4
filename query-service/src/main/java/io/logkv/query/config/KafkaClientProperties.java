package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.kafka.*} properties: how to reach Kafka.
 *
 * @param bootstrapServers the Kafka brokers
 * @param adminTimeout     the bound on each administrative call (topic creation, descriptions)
 */
public record KafkaClientProperties(
        @DefaultValue("localhost:19092") String bootstrapServers,
        @DefaultValue("15s") Duration adminTimeout) {
}
