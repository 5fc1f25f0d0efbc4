package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NamespaceSettingsTest {

    private static final RegionName EU = new RegionName("eu-west");

    @Test
    void aHomeRegionIsRecordedOnlyForACopyAndReadBack() {
        NamespaceSettings own = new NamespaceSettings(6, Duration.ofHours(2));
        assertThat(new String(own.encode(), StandardCharsets.UTF_8)).doesNotContain("homeRegion");
        assertThat(NamespaceSettings.decode(own.encode())).isEqualTo(own);

        NamespaceSettings copy = own.withHome(EU);
        assertThat(new String(copy.encode(), StandardCharsets.UTF_8)).contains("homeRegion=eu-west\n");
        assertThat(NamespaceSettings.decode(copy.encode())).isEqualTo(copy);
    }

    @Test
    void aCopyIsServedAsSuchEverywhereButInItsHome() {
        NamespaceSettings copy = new NamespaceSettings(3, Duration.ZERO, EU);
        assertThat(copy.homeElsewhere(new RegionName("us-east"))).isTrue();
        assertThat(copy.homeElsewhere(null)).as("a region without a name is not the copy's home").isTrue();
        assertThat(copy.homeElsewhere(EU)).isFalse();
        assertThat(new NamespaceSettings(3, Duration.ZERO).homeElsewhere(EU)).as("a namespace of the region holding it").isFalse();
    }

    @Test
    void aMalformedHomeIsRefused() {
        assertThatThrownBy(() -> NamespaceSettings.decode("partitions=2\nhomeRegion=a/b\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namespaceSettingsRoundTripAndIgnoreUnknownFields() {
        NamespaceSettings settings = new NamespaceSettings(12, Duration.ofHours(1));
        assertThat(NamespaceSettings.decode(settings.encode())).isEqualTo(settings);
        assertThat(NamespaceSettings.decode("partitions=3\nfutureField=x\n".getBytes()))
                .isEqualTo(new NamespaceSettings(3, Duration.ZERO));
    }

    @Test
    void theChoiceForWritesToCopiesIsRecordedKeptWithTheHomeAndReadBack() {
        NamespaceSettings forward = new NamespaceSettings(6, Duration.ZERO).withCopyWrites(NamespaceSettings.CopyWrites.FORWARD);
        assertThat(new String(forward.encode(), StandardCharsets.UTF_8)).contains("copyWrites=forward");
        assertThat(NamespaceSettings.decode(forward.encode())).isEqualTo(forward);
        assertThat(forward.withHome(EU).copyWrites()).isEqualTo(NamespaceSettings.CopyWrites.FORWARD);
        assertThat(new String(new NamespaceSettings(6, Duration.ZERO).encode(), StandardCharsets.UTF_8)).doesNotContain("copyWrites");
        assertThat(NamespaceSettings.decode("partitions=2\ncopyWrites=queue\n".getBytes(StandardCharsets.UTF_8)).copyWrites())
                .as("a choice of a newer version").isNull();
    }
}
