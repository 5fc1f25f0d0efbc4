package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NamespaceNameTest {

    @Test
    void namespaceNamesAreSafeInTopicNames() {
        assertThat(new NamespaceName("team-a_orders").truthTopic()).isEqualTo("logkv.truth.team-a_orders");
        for (String bad : new String[] {"", "a.b", "a b", "ü", "x".repeat(101), "../x", "a@", "a[", "a`", "a{", "a/", "a:", null}) {
            assertThat(NamespaceName.isLegal(bad)).as(String.valueOf(bad)).isFalse();
        }
        for (String good : new String[] {"a", "Z", "0", "9", "_", "-", "x".repeat(100), "AZaz09_-"}) {
            assertThat(NamespaceName.isLegal(good)).as(good).isTrue();
        }
    }
}
