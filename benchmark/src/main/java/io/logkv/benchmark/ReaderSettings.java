package io.logkv.benchmark;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Fetch settings every reader in the spike shares, copied from LogKV's replica consumer and its
 * default {@code max-poll-records}, so that differences between cases come from what each does with
 * the records, not from how much it asks the brokers for at a time.
 */
final class ReaderSettings {

    static final int MAX_POLL_RECORDS = 2000;
    static final int MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024;
    static final int FETCH_MAX_BYTES = 64 * 1024 * 1024;

    private ReaderSettings() {
    }

    /** Consumer properties (without bootstrap servers or deserializers) for a read_committed reader. */
    static Properties consumerProperties() {
        Properties props = new Properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_PARTITION_FETCH_BYTES);
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, FETCH_MAX_BYTES);
        return props;
    }

    /**
     * A read_committed reader of the cluster at {@code bootstrap}, named {@code clientId}, that commits nothing
     * (it is assigned its partitions).
     */
    static Properties reader(String bootstrap, String clientId) {
        Properties props = consumerProperties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return props;
    }
}
