package io.logkv.local;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How a LogKV node process reaches its Kafka cluster: the bootstrap servers and the node's
 * {@code logkv.kafka.client.*} settings, split by who may see them. Settings that are no secret go on the
 * command line as Spring arguments; secrets go into the child's environment as {@code LOGKV_KAFKA_CLIENT_*}
 * variables, which Spring Boot binds into the same map: {@code ps} shows every user a process's command line,
 * but its environment only to its owner.
 *
 * @param bootstrapServers the brokers
 * @param springArguments  {@code --logkv.kafka.client[name]=value} for each setting that is no secret
 * @param environment      {@code LOGKV_KAFKA_CLIENT_NAME} variables for each secret setting
 */
public record NodeKafkaAccess(String bootstrapServers, List<String> springArguments, Map<String, String> environment) {

    /** The client settings whose values are secrets: they never go on a command line. */
    static final Set<String> SECRET_SETTINGS = Set.of("sasl.jaas.config", "ssl.truststore.password", "ssl.keystore.password",
            "ssl.key.password");

    public NodeKafkaAccess {
        springArguments = List.copyOf(springArguments);
        environment = Map.copyOf(environment);
    }

    /** A cluster that takes clients as they are: nothing beyond the bootstrap servers. */
    public static NodeKafkaAccess plain(String bootstrapServers) {
        return new NodeKafkaAccess(bootstrapServers, List.of(), Map.of());
    }

    /** The bootstrap servers and these Kafka client settings (by their Kafka names), each where it belongs. */
    static NodeKafkaAccess of(String bootstrapServers, Map<String, String> clientSettings) {
        Map<String, String> environment = new TreeMap<>();
        List<String> arguments = new TreeMap<>(clientSettings).entrySet().stream()
                .filter(setting -> !SECRET_SETTINGS.contains(setting.getKey()))
                .map(setting -> "--logkv.kafka.client[" + setting.getKey() + "]=" + setting.getValue())
                .toList();
        clientSettings.forEach((name, value) -> {
            if (SECRET_SETTINGS.contains(name)) {
                environment.put(environmentVariable(name), value);
            }
        });
        return new NodeKafkaAccess(bootstrapServers, arguments, environment);
    }

    /** Spring Boot's name for {@code logkv.kafka.client[name]} in the environment: {@code sasl.jaas.config}, {@code LOGKV_KAFKA_CLIENT_SASL_JAAS_CONFIG}. */
    static String environmentVariable(String settingName) {
        return "LOGKV_KAFKA_CLIENT_" + settingName.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** The argument names and variable names, never the values, which may be secrets. */
    @Override
    public String toString() {
        return "NodeKafkaAccess[bootstrapServers=" + bootstrapServers + ", springArguments="
                + springArguments.stream().map(argument -> argument.substring(0, argument.indexOf('=') + 1)).toList()
                + ", environment=" + environment.keySet() + "]";
    }
}
