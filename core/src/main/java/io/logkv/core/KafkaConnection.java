package io.logkv.core;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How every Kafka client of a node reaches the cluster: the bootstrap servers, and the client settings of the
 * cluster's listener (TLS, SASL: {@code security.protocol}, {@code ssl.*}, {@code sasl.*}) passed through as
 * they are. Every producer, consumer and admin client a role creates starts from {@link #properties()}, so a
 * node never has one client that reaches Kafka differently from the others.
 *
 * <p>Only settings about reaching the cluster are accepted. A setting that would change what a client does
 * (its group, transactions, isolation, acknowledgements, serializers) is refused when the node starts: LogKV's
 * guarantees rest on those, and each role sets them itself.
 *
 * @param bootstrapServers the brokers to start from ({@code host:port,...})
 * @param clientSettings   Kafka client settings added to every client, by their Kafka names
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> clientSettings) {

    /** Prefixes of the settings that may be passed through. */
    public static final List<String> ALLOWED_PREFIXES = List.of("security.protocol", "ssl.", "sasl.", "client.dns.lookup",
            "socket.connection.setup.timeout.", "reconnect.backoff.", "retry.backoff.", "connections.max.idle.ms",
            "metadata.max.age.ms", "receive.buffer.bytes", "send.buffer.bytes", "metric.reporters", "metrics.");

    public KafkaConnection {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("the Kafka bootstrap servers are not set");
        }
        clientSettings = clientSettings == null ? Map.of() : Map.copyOf(new TreeMap<>(clientSettings));
        for (String name : clientSettings.keySet()) {
            if (ALLOWED_PREFIXES.stream().noneMatch(name::startsWith)) {
                throw new IllegalArgumentException("the Kafka client setting '" + name + "' cannot be passed through: only "
                        + "settings for reaching the cluster are (" + String.join(", ", ALLOWED_PREFIXES)
                        + "); LogKV sets the others itself");
            }
        }
    }

    /** A plain connection: the bootstrap servers and no client settings. */
    public static KafkaConnection of(String bootstrapServers) {
        return new KafkaConnection(bootstrapServers, Map.of());
    }

    /** New client properties: the bootstrap servers and the passed-through settings, for a role to add its own to. */
    public Properties properties() {
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /** {@link #properties()} as a map, for the clients built from one. */
    public Map<String, Object> asMap() {
        Map<String, Object> map = new TreeMap<>(clientSettings);
        map.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return map;
    }

    /** The settings' names and the bootstrap servers, for logs: never the values, which may hold secrets. */
    @Override
    public String toString() {
        return "KafkaConnection[bootstrapServers=" + bootstrapServers + ", clientSettings=" + clientSettings.keySet() + "]";
    }
}
