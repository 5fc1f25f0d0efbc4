package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class KeyPartitionerTest {

    @Test
    void choosesThePartitionKafkasProducerChoosesForTheSameKeyBytes() {
        for (int partitions : new int[] {1, 3, 6, 16, 1024}) {
            for (int i = 0; i < 10_000; i++) {
                byte[] key = ("key-" + i + "-ü/ 🔑").getBytes(StandardCharsets.UTF_8);
                assertThat(KeyPartitioner.partitionOf(key, partitions))
                        .isEqualTo(BuiltInPartitioner.partitionForKey(key, partitions));
            }
        }
    }
}
