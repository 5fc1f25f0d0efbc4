package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClusterIdentityTest {

    @TempDir
    Path kafkaDir;

    @Test
    void survivesARestartUnchanged() throws Exception {
        KafkaClusterIdentity created = KafkaClusterIdentity.create(KafkaPorts.consecutive(19092, 3));
        created.save(kafkaDir);

        assertThat(KafkaClusterIdentity.load(kafkaDir)).contains(created);
    }

    @Test
    void isAbsentBeforeTheFirstStart() throws Exception {
        assertThat(KafkaClusterIdentity.load(kafkaDir)).isEmpty();
    }

    @Test
    void makesEveryNodeAVoterOnItsControllerPort() {
        KafkaClusterIdentity identity = new KafkaClusterIdentity("cluster", List.of("dirA", "dirB", "dirC"),
                KafkaPorts.consecutive(19092, 3));

        assertThat(identity.initialControllers())
                .isEqualTo("1@localhost:19095:dirA,2@localhost:19096:dirB,3@localhost:19097:dirC");
    }
}
