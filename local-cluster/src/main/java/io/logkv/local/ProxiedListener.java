package io.logkv.local;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A further client listener on every broker, named {@value #NAME}, whose advertised address is that of a
 * proxy in front of it: broker {@code i} listens on {@code brokerPorts[i-1]} and tells its clients to
 * reach it at {@code advertisedPorts[i-1]}. Kafka clients learn broker addresses from metadata, so a
 * proxy in front of the bootstrap address alone would be bypassed after the first request; a client
 * bootstrapping through these proxies is told the proxies' addresses for every broker, and all of its
 * traffic (metadata, produce, fetch, group and transaction coordinators) goes through them. Other clients,
 * and the brokers among themselves, keep the plain listener, so a fault on the proxies cuts one client only.
 */
public record ProxiedListener(List<Integer> brokerPorts, List<Integer> advertisedPorts) {

    public static final String NAME = "PROXIED";

    public ProxiedListener {
        brokerPorts = List.copyOf(brokerPorts);
        advertisedPorts = List.copyOf(advertisedPorts);
        if (brokerPorts.size() != advertisedPorts.size()) {
            throw new IllegalArgumentException("one advertised port per broker port");
        }
    }

    /** The {@code bootstrap.servers} of a client that goes through the proxies. */
    public String bootstrapServers() {
        return advertisedPorts.stream().map(port -> KafkaPorts.HOST + ":" + port).collect(Collectors.joining(","));
    }

    int brokerPort(int nodeId) {
        return brokerPorts.get(nodeId - 1);
    }

    int advertisedPort(int nodeId) {
        return advertisedPorts.get(nodeId - 1);
    }
}
