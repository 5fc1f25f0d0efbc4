package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NamespaceSelectionTest {

    private static final List<String> TOPICS = List.of("logkv.truth.orders", "logkv.truth.carts", "logkv.ingest.orders",
            "logkv.namespaces", "logkv.mirror.positions", "__consumer_offsets", "logkv.truth.bad.name");

    @Test
    void listedNamespacesSelectOnlyTheirTruthTopics() {
        assertThat(NamespaceSelection.of(List.of("orders", "absent")).truthTopicsAmong(TOPICS)).containsExactly("logkv.truth.orders");
    }

    @Test
    void patternSelectsEveryMatchingNamespacesTruthTopicAndNothingElse() {
        assertThat(NamespaceSelection.matching(".*").truthTopicsAmong(TOPICS)).containsExactly("logkv.truth.carts", "logkv.truth.orders");
        assertThat(NamespaceSelection.matching("ord.*").truthTopicsAmong(TOPICS)).containsExactly("logkv.truth.orders");
    }

    @Test
    void selectionIsByListOrByPatternNeverBoth() {
        assertThatThrownBy(() -> new NamespaceSelection(List.of(), null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NamespaceSelection(List.of(new io.logkv.core.NamespaceName("a")), Pattern.compile(".*")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
