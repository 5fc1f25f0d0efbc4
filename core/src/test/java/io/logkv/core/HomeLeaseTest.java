package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HomeLeaseTest {

    private static final NamespaceName ORDERS = new NamespaceName("orders");
    private static final RegionName EU = new RegionName("eu-west");

    @Test
    void aRequiredLeaseHoldsNeverUntilGranted() {
        HomeLease required = HomeLease.required(30_000, 1_000);

        assertThat(required.holdsAt(0)).isFalse();
        assertThat(required.holdsAt(System.currentTimeMillis())).isFalse();
        assertThat(required.grantedAt(100_000).holdsAt(100_000)).isTrue();
    }

    @Test
    void aGrantHoldsUntilItsEndLessTheSkew() {
        HomeLease granted = HomeLease.required(30_000, 1_000).grantedAt(100_000);

        assertThat(granted.untilMs()).isEqualTo(130_000);
        assertThat(granted.holdsAt(128_999)).isTrue();
        assertThat(granted.holdsAt(129_000)).isFalse();
        assertThat(granted.revoke().holdsAt(100_000)).as("a revoked lease").isFalse();
    }

    @Test
    void aGrantNeverEndsEarlierThanTheOneBeforeEvenUnderAShorterLeaseOrAClockSteppedBack() {
        HomeLease granted = HomeLease.required(30_000, 1_000).grantedAt(100_000);

        assertThat(granted.withTerms(10_000, 1_000).grantedAt(101_000).untilMs()).isEqualTo(130_000);
        assertThat(granted.grantedAt(90_000).untilMs()).isEqualTo(130_000);
        assertThat(granted.grantedAt(105_000).untilMs()).isEqualTo(135_000);
    }

    @Test
    void aRevokedLeaseRunsOutAWholeLeaseAfterItsRevocationPlusTheSkewOrAtItsLastGrantsEndIfLater() {
        HomeLease granted = HomeLease.required(30_000, 1_000).grantedAt(100_000);

        assertThat(granted.revoke().runsOutBy(100_500)).isEqualTo(131_500);
        assertThat(granted.revoke().runsOutBy(50_000)).as("a grant whose clock ran ahead").isEqualTo(131_000);
        // The home holds it no later than a promotion waits, whatever the two clocks read within the skew.
        long waitEnds = granted.revoke().runsOutBy(100_000);
        assertThat(granted.holdsAt(waitEnds - 2 * granted.maxClockSkewMs())).isFalse();
    }

    @Test
    void leaseSurvivesItsRecordFormat() {
        HomeLease lease = new HomeLease(1_700_000_030_000L, 30_000, 1_000, true);

        assertThat(HomeLease.parse(lease.value())).isEqualTo(lease);
        assertThat(HomeLease.parse(HomeLease.required(5_000, 0).value())).isEqualTo(HomeLease.required(5_000, 0));
    }

    @Test
    void malformedValuesAreRefused() {
        byte[] value = HomeLease.required(30_000, 1_000).value();
        value[value.length - 1] = 7;

        assertThatThrownBy(() -> HomeLease.parse(value)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HomeLease.parse(new byte[3])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HomeLease.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HomeLease(0, 0, 0, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void registryKeysNameTheNamespaceAndTheGrantorAndAreNoNamespaceName() {
        byte[] key = HomeLease.registryKey(ORDERS, EU);
        String text = new String(key, StandardCharsets.UTF_8);

        assertThat(text).isEqualTo("~home-lease/orders/eu-west");
        assertThat(NamespaceName.isLegal(text)).isFalse();
        assertThat(HomeLease.isRegistryKey(text)).isTrue();
        assertThat(HomeLease.holderOf(text)).contains(new HomeLease.Holder(ORDERS, EU));
        assertThat(HomeLease.holderOf("orders")).isEmpty();
        assertThat(HomeLease.holderOf("~home-lease/orders")).isEmpty();
        assertThat(HomeLease.holderOf("~home-lease/or ders/eu")).isEmpty();
        assertThat(HomeLease.holderOf("~home-lease/orders/e u")).isEmpty();
    }

    @Test
    void grantKeysAreNoMirrorPositionKeys() {
        byte[] key = HomeLease.grantKey(EU, "logkv.truth.orders");

        assertThat(new String(key, StandardCharsets.UTF_8)).isEqualTo("eu-west/logkv.truth.orders/~home-lease");
        assertThat(HomeLease.isGrantKey(key)).isTrue();
        assertThat(HomeLease.grantSource(key, "logkv.truth.orders")).contains(EU);
        assertThat(HomeLease.grantSource(key, "logkv.truth.carts")).isEmpty();
        assertThat(HomeLease.grantSource(HomeLease.grantKey(EU, "x.orders"), "orders")).isEmpty();
        assertThat(HomeLease.isGrantKey(MirrorPosition.key(EU, "logkv.truth.orders", 3))).isFalse();
        assertThatThrownBy(() -> MirrorPosition.parse(key, new MirrorPosition(EU, "t", 0, 0, -1, -1).value()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
