package io.logkv.testkit;

import java.util.Set;

/** The brokers behind a {@link KafkaTestCluster}, wherever they run ({@link KafkaFixture}). */
interface KafkaBrokers extends AutoCloseable {

    /** The {@code host:port} list a client outside the brokers connects to. */
    String bootstrapServers();

    /** Ids of the brokers, running or not. */
    Set<Integer> brokerIds();

    /** Shuts one broker down with a controlled shutdown: its partitions move their leadership away first. */
    void stopBroker(int brokerId);

    @Override
    void close();
}
