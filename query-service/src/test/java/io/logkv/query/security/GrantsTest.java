package io.logkv.query.security;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GrantsTest {

    @Test
    void aPatternCoversTheNamespacesItsStarsStandFor() {
        assertThat(Grants.matches("*", "orders")).isTrue();
        assertThat(Grants.matches("orders-*", "orders-eu")).isTrue();
        assertThat(Grants.matches("orders-*", "orders-")).isTrue();
        assertThat(Grants.matches("orders-*", "orders")).isFalse();
        assertThat(Grants.matches("*-eu", "orders-eu")).isTrue();
        assertThat(Grants.matches("*-eu", "orders-us")).isFalse();
        assertThat(Grants.matches("a*b*c", "a-x-b-y-c")).isTrue();
        assertThat(Grants.matches("a*b*c", "a-x-c-y-b")).isFalse();
        assertThat(Grants.matches("orders", "orders")).isTrue();
        assertThat(Grants.matches("orders", "orders2")).isFalse();
    }

    @Test
    void eachRightIsGrantedOnlyWhereAGrantNamesIt() {
        Grants grants = Grants.parse(List.of("read:orders-*", "write:orders-eu", "admin:*"));

        assertThat(grants.allows("orders-us", Right.READ)).isTrue();
        assertThat(grants.allows("orders-us", Right.WRITE)).isFalse();
        assertThat(grants.allows("orders-eu", Right.WRITE)).isTrue();
        assertThat(grants.allows("users", Right.READ)).isFalse();
        assertThat(grants.allows("users", Right.ADMIN)).isTrue();
        assertThat(grants.allowsEverywhere(Right.ADMIN)).isTrue();
        assertThat(grants.allowsEverywhere(Right.READ)).isFalse();
        assertThat(Grants.parse(List.of("read:orders-*")).allowsAny("users")).isFalse();
    }

    @Test
    void grantsTravelBetweenNodesAsText() {
        Grants grants = Grants.parse(List.of("read:orders-*", "admin:*"));
        Caller caller = new Caller("app one/é", grants);

        Caller back = Caller.ofHeader(caller.header());

        assertThat(back.name()).isEqualTo("app one/é");
        assertThat(back.grants().text()).isEqualTo("read:orders-* admin:*");
    }

    @Test
    void malformedGrantsAreRefused() {
        assertThatThrownBy(() -> Grants.parse(List.of("read"))).hasMessageContaining("<right>:<namespace pattern>");
        assertThatThrownBy(() -> Grants.parse(List.of("delete:*"))).hasMessageContaining("read, write or admin");
        assertThatThrownBy(() -> Grants.parse(List.of("read:orders.eu"))).hasMessageContaining("namespace pattern");
        assertThatThrownBy(() -> Grants.parse(List.of("read:"))).hasMessageContaining("namespace pattern");
    }
}
