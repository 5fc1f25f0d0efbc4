package io.logkv.writer;

import io.logkv.core.HomeLease;
import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When a node of the home region may acknowledge a write ({@link RegistryHomeLeases}): only while its view of the
 * registry is fresh, and every lease the view holds on the namespace holds. Time moves by hand; the view is filled
 * with the registry's records as the catalog's thread would.
 */
class HomeLeasesTest {

    private static final NamespaceName NS = new NamespaceName("orders");
    private static final RegionName B = new RegionName("b");
    private static final RegionName C = new RegionName("c");
    private static final Duration STALENESS = Duration.ofSeconds(10);
    private static final long LEASE_MS = 30_000;
    private static final long SKEW_MS = 1_000;

    private final ManualNodeTime time = new ManualNodeTime(1_700_000_000_000L);
    private final NamespaceRegistryView view = new NamespaceRegistryView();
    private final HomeLeases leases = new RegistryHomeLeases(view, time, STALENESS);
    private long offset;

    @BeforeEach
    void aFreshViewOfTheNamespace() {
        apply(NS.value(), new NamespaceSettings(1, Duration.ZERO).encode());
        readToEndNow();
    }

    @Test
    void aNamespaceWithoutLeasesTakesWritesWhileTheViewIsFresh() {
        assertThat(leases.refusal(NS)).isEmpty();
    }

    @Test
    void aViewOlderThanTheStalenessRefusesEveryNamespaceLeasesOrNot() {
        time.advance(STALENESS);
        assertThat(leases.refusal(NS)).as("exactly as old as allowed").isEmpty();

        time.advance(Duration.ofMillis(1));

        assertThat(leases.refusal(NS))
                .hasValueSatisfying(reason -> assertThat(reason).contains("view of the namespace registry is 10001 ms old"));
        readToEndNow();
        assertThat(leases.refusal(NS)).isEmpty();
    }

    @Test
    void aViewNeverReadToAnEndRefuses() {
        HomeLeases unread = new RegistryHomeLeases(new NamespaceRegistryView(), time, STALENESS);

        assertThat(unread.refusal(NS)).hasValueSatisfying(reason -> assertThat(reason).contains("not yet read the namespace registry"));
    }

    @Test
    void aRequiredLeaseRefusesUntilItIsGranted() {
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS));
        assertThat(leases.refusal(NS))
                .hasValueSatisfying(reason -> assertThat(reason).contains("from region b is required and not granted"));

        lease(B, HomeLease.required(LEASE_MS, SKEW_MS).grantedAt(time.nowMs()));

        assertThat(leases.refusal(NS)).isEmpty();
    }

    @Test
    void aGrantedLeaseHoldsUntilItsEndLessTheClockSkew() {
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS).grantedAt(time.nowMs()));

        time.advance(Duration.ofMillis(LEASE_MS - SKEW_MS - 1));
        readToEndNow();
        assertThat(leases.refusal(NS)).isEmpty();

        time.advance(Duration.ofMillis(1));
        readToEndNow();
        assertThat(leases.refusal(NS)).hasValueSatisfying(reason -> assertThat(reason)
                .contains("home lease on namespace orders from region b ran out").contains("b may have been promoted"));
    }

    @Test
    void everyGrantingRegionsLeaseMustHold() {
        long now = time.nowMs();
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS).grantedAt(now));
        lease(C, HomeLease.required(LEASE_MS, SKEW_MS).grantedAt(now - LEASE_MS)); // the mirror to c stopped renewing

        assertThat(leases.refusal(NS)).hasValueSatisfying(reason -> assertThat(reason).contains("from region c ran out"));
    }

    @Test
    void aRevokedLeaseRefusesAlthoughItsLastGrantRunsOnLater() {
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS).grantedAt(time.nowMs()).revoke());

        assertThat(leases.refusal(NS)).hasValueSatisfying(reason -> assertThat(reason).contains("was revoked"));
    }

    @Test
    void aLeaseNoLongerThanTheStalenessRefusesForItBreaksTheArgument() {
        lease(B, HomeLease.required(STALENESS.toMillis(), 0).grantedAt(time.nowMs()));

        assertThat(leases.refusal(NS)).hasValueSatisfying(reason -> assertThat(reason).contains("logkv.region.lease-view-staleness"));
    }

    @Test
    void aNamespaceDeletedAndCreatedAgainStaysBoundByItsLeases() {
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS));
        assertThat(leases.refusal(NS)).isPresent();

        apply(NS.value(), null);

        assertThat(view.leases(NS)).containsKey(B);
        assertThat(leases.refusal(NS)).as("a cut-off home that deletes and creates the namespace again").isPresent();
    }

    @Test
    void aLeaseBindsOnlyItsOwnNamespace() {
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS));

        assertThat(leases.refusal(new NamespaceName("carts"))).isEmpty();
    }

    @Test
    void aLeasesLatestRecordCountsAndItsTombstoneDropsIt() {
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS).grantedAt(time.nowMs()));
        lease(B, HomeLease.required(LEASE_MS, SKEW_MS)); // the mirror required it afresh

        assertThat(leases.refusal(NS)).isPresent();
        apply(new String(HomeLease.registryKey(NS, B), StandardCharsets.UTF_8), null);
        assertThat(leases.refusal(NS)).isEmpty();
    }

    @Test
    void noLeasesNeverRefuse() {
        assertThat(HomeLeases.none().refusal(NS)).isEmpty();
    }

    private void lease(RegionName grantor, HomeLease lease) {
        apply(new String(HomeLease.registryKey(NS, grantor), StandardCharsets.UTF_8), lease.value());
    }

    private void apply(String key, byte[] value) {
        view.apply(new ConsumerRecord<>(NamespaceRegistryTopic.PARTITION.topic(), 0, offset++, key.getBytes(StandardCharsets.UTF_8),
                value));
    }

    /** What the catalog does when it has read up to an end it asked for now. */
    private void readToEndNow() {
        view.freshAsOf(time.nanoTime());
    }
}
