package io.logkv.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TruthTopicRequirementsTest {

    private final TruthTopicRequirements requirements = new TruthTopicRequirements(3, 2, 2_000_000);

    @Test
    void topicsCreatedByLogKvPassTheirOwnCheck() {
        assertThat(requirements.violations("t", List.of(3, 3, 3), requirements.topicConfig())).isEmpty();
        assertThat(requirements.topicConfig()).containsEntry("cleanup.policy", "compact")
                .containsEntry("min.insync.replicas", "2")
                .containsEntry("unclean.leader.election.enable", "false")
                .containsEntry("delete.retention.ms", "86400000")
                .containsEntry("segment.ms", "21600000")
                .containsEntry("min.compaction.lag.ms", "0");
    }

    @Test
    void everySettingThatCouldLoseAnAcknowledgedWriteIsNamed() {
        List<String> problems = requirements.violations("t", List.of(3, 1), Map.of(
                "min.insync.replicas", "1",
                "unclean.leader.election.enable", "true",
                "cleanup.policy", "compact,delete"));

        assertThat(problems).hasSize(4);
        assertThat(String.join("\n", problems)).contains("t-1 has 1 replicas").contains("min.insync.replicas=1")
                .contains("unclean leader election").contains("cleanup.policy=compact,delete");
    }

    @Test
    void missingSettingsCountAsUnsafe() {
        assertThat(requirements.violations("t", List.of(3), Map.of())).hasSize(3);
    }

    @Test
    void theArchitecturesFloorCannotBeConfiguredAway() {
        assertThatThrownBy(() -> new TruthTopicRequirements(1, 1, 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TruthTopicRequirements(3, 1, 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TruthTopicRequirements(3, 4, 1000)).isInstanceOf(IllegalArgumentException.class);
    }
}
