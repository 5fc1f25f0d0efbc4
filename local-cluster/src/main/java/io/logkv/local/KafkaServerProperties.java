package io.logkv.local;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The {@code server.properties} of one node of the local cluster: a combined broker and KRaft controller,
 * configured for LogKV's durability rules (replication factor 3, two in-sync replicas, no unclean
 * election) so that the local run behaves like production, only smaller.
 */
final class KafkaServerProperties {

    private KafkaServerProperties() {
    }

    static Map<String, String> forNode(int nodeId, KafkaPorts ports, Path logDir) {
        return forNode(nodeId, ports, logDir, Optional.empty());
    }

    /** As {@link #forNode(int, KafkaPorts, Path)}, with a further listener for clients that go through a proxy. */
    static Map<String, String> forNode(int nodeId, KafkaPorts ports, Path logDir, Optional<ProxiedListener> proxied) {
        return forNode(nodeId, ports, logDir, proxied, Optional.empty());
    }

    /**
     * As {@link #forNode(int, KafkaPorts, Path, Optional)}; with a {@link SecureListener}, the listener for clients
     * and between brokers is that one (SASL_SSL) instead of {@code PLAINTEXT}. The controllers' listener stays
     * plaintext on localhost either way. A secure cluster has no proxied listener.
     */
    static Map<String, String> forNode(int nodeId, KafkaPorts ports, Path logDir, Optional<ProxiedListener> proxied,
                                       Optional<SecureListener> secure) {
        if (proxied.isPresent() && secure.isPresent()) {
            throw new IllegalArgumentException("a secure local cluster has no proxied listener");
        }
        String clientListener = secure.isPresent() ? SecureListener.NAME : "PLAINTEXT";
        String clientProtocol = secure.isPresent() ? SecureListener.SECURITY_PROTOCOL : "PLAINTEXT";
        String broker = clientListener + "://" + KafkaPorts.HOST + ":" + ports.brokerPort(nodeId);
        String controller = "CONTROLLER://" + KafkaPorts.HOST + ":" + ports.controllerPort(nodeId);
        Map<String, String> properties = new LinkedHashMap<>();
        // Every node is a voter, so the metadata quorum survives the loss of any one node.
        properties.put("process.roles", "broker,controller");
        properties.put("node.id", String.valueOf(nodeId));
        properties.put("controller.quorum.bootstrap.servers", ports.controllerBootstrapServers());
        String listeners = broker + "," + controller;
        String advertised = broker + "," + controller;
        String protocols = clientListener + ":" + clientProtocol + ",CONTROLLER:PLAINTEXT";
        if (proxied.isPresent()) {
            String name = ProxiedListener.NAME;
            listeners += "," + name + "://" + KafkaPorts.HOST + ":" + proxied.get().brokerPort(nodeId);
            advertised += "," + name + "://" + KafkaPorts.HOST + ":" + proxied.get().advertisedPort(nodeId);
            protocols += "," + name + ":PLAINTEXT";
        }
        properties.put("listeners", listeners);
        properties.put("advertised.listeners", advertised);
        properties.put("listener.security.protocol.map", protocols);
        properties.put("controller.listener.names", "CONTROLLER");
        properties.put("inter.broker.listener.name", clientListener);
        secure.ifPresent(listener -> properties.putAll(listener.brokerProperties()));
        properties.put("log.dirs", logDir.toAbsolutePath().toString());

        // The log is the truth: an acknowledged write is on at least two of three replicas.
        properties.put("default.replication.factor", "3");
        properties.put("min.insync.replicas", "2");
        properties.put("unclean.leader.election.enable", "false");
        properties.put("auto.create.topics.enable", "false"); // LogKV creates every topic itself, with checked settings
        properties.put("offsets.topic.replication.factor", "3");
        properties.put("transaction.state.log.replication.factor", "3");
        properties.put("transaction.state.log.min.isr", "2");
        properties.put("share.coordinator.state.topic.replication.factor", "3");
        properties.put("share.coordinator.state.topic.min.isr", "2");

        // Fewer internal partitions than production: they are created on first use and slow that use down.
        properties.put("offsets.topic.num.partitions", "12");
        properties.put("transaction.state.log.num.partitions", "12");
        // A stopping broker waits for the controllers' approval, which comes with a heartbeat response. When
        // the whole cluster stops at once, approvals must arrive before two of the three controllers are gone.
        properties.put("broker.heartbeat.interval.ms", "250");
        // One developer, one group: waiting for more members to join only delays the first read.
        properties.put("group.initial.rebalance.delay.ms", "0");
        // Brokers start one after another, so the first one up leads every partition; a broker restarted after a
        // kill comes back leading none. The controller moves leadership back to each partition's preferred
        // replica when the imbalance check runs (every 300 s by default): here every 10 s, so the load is
        // spread over the three brokers soon after a start or a fail-over instead of minutes later.
        properties.put("leader.imbalance.check.interval.seconds", "10");
        // Back-to-back transactions: retry adding partitions quickly while the previous markers land.
        properties.put("add.partitions.to.txn.retry.backoff.ms", "2");
        // Fail-over drills (and tests) shorten logkv.writer.session-timeout below the broker's 6 s minimum,
        // which would otherwise refuse the node's join to the writers' group.
        properties.put("group.min.session.timeout.ms", "1000");
        return properties;
    }

    static String render(Map<String, String> properties) {
        return properties.entrySet().stream()
                .map(entry -> entry.getKey() + "=" + entry.getValue())
                .collect(Collectors.joining("\n", "# Written by bin/logkv local at every start; edits are overwritten.\n", "\n"));
    }
}
