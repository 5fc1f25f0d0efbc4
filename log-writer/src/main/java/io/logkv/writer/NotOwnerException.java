package io.logkv.writer;

import org.apache.kafka.common.TopicPartition;

/** This node does not own the partition a write is for (another node does, or a rebalance is under way). */
public class NotOwnerException extends RuntimeException {

    private final TopicPartition partition;

    public NotOwnerException(TopicPartition partition) {
        super("this node does not own " + partition);
        this.partition = partition;
    }

    public TopicPartition partition() {
        return partition;
    }
}
