package io.logkv.client;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Read-your-writes for streaming applications: a {@code KV-Token} for what a producer wrote. */
public final class IngestTokens {

    private IngestTokens() {
    }

    /**
     * The token of an acknowledged ingest write: a session read carrying it is served only by a replica
     * that has applied the ingest topic up to and including this record.
     *
     * @throws IllegalArgumentException when the record was not written to a LogKV ingest topic
     */
    public static String tokenFor(RecordMetadata metadata) {
        NamespaceName namespace = NamespaceName.ofTopic(metadata.topic());
        if (namespace == null || !metadata.topic().equals(namespace.ingestTopic()) || !metadata.hasOffset()) {
            throw new IllegalArgumentException(metadata.topic() + " is not a LogKV ingest topic, or the record has no offset");
        }
        return ConsistencyToken.ofIngest(namespace, LogPosition.covering(metadata.partition(), metadata.offset())).encode();
    }
}
