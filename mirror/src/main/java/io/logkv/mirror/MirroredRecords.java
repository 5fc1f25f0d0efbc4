package io.logkv.mirror;

import io.logkv.core.MirrorHeaders;
import io.logkv.core.RegionName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/**
 * What a source record becomes in the target region: the same topic, partition, key, value (a tombstone
 * stays a tombstone), timestamp and headers, in that order, followed by the headers naming its source.
 */
final class MirroredRecords {

    private MirroredRecords() {
    }

    static ProducerRecord<byte[], byte[]> toTarget(ConsumerRecord<byte[], byte[]> source, RegionName sourceRegion) {
        RecordHeaders headers = new RecordHeaders();
        for (Header header : source.headers()) {
            headers.add(header);
        }
        headers.add(MirrorHeaders.sourceRegion(sourceRegion));
        headers.add(MirrorHeaders.sourceOffset(source.offset()));
        // A source topic stamped by its broker (LogAppendTime) gets the target broker's own time instead.
        Long timestamp = source.timestampType() == TimestampType.CREATE_TIME ? source.timestamp() : null;
        return new ProducerRecord<>(source.topic(), source.partition(), timestamp, source.key(), source.value(), headers);
    }
}
