package io.logkv.testkit;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The broker configuration every test cluster runs with, whatever its fixture: what LogKV requires in
 * production (replication factor 3, {@code min.insync.replicas=2}, unclean leader election off, internal
 * topics replicated the same way) and timings that keep tests short.
 */
final class BrokerSettings {

    static final Map<String, String> ALL = settings();

    private BrokerSettings() {
    }

    private static Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("min.insync.replicas", "2");
        settings.put("default.replication.factor", "3");
        settings.put("unclean.leader.election.enable", "false");
        settings.put("auto.create.topics.enable", "false");
        settings.put("offsets.topic.replication.factor", "3");
        settings.put("offsets.topic.num.partitions", "5");
        settings.put("transaction.state.log.replication.factor", "3");
        settings.put("transaction.state.log.min.isr", "2");
        settings.put("transaction.state.log.num.partitions", "5");
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("group.min.session.timeout.ms", "500");
        settings.put("add.partitions.to.txn.retry.backoff.ms", "2");
        settings.put("log.cleaner.backoff.ms", "1000");
        return Map.copyOf(settings);
    }

    /**
     * The settings as the {@code apache/kafka} image reads them from its environment: {@code KAFKA_} and
     * the name in capitals, dots as underscores (none of these names has an underscore or a dash of its own).
     */
    static Map<String, String> asImageEnvironment() {
        Map<String, String> environment = new LinkedHashMap<>();
        ALL.forEach((name, value) -> environment.put("KAFKA_" + name.toUpperCase(Locale.ROOT).replace('.', '_'), value));
        return environment;
    }
}
