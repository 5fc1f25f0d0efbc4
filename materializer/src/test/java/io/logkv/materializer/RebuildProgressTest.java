package io.logkv.materializer;

import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceName;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A rebuild is timed by the node's clock: when it began, how long it has run, and its rates. */
class RebuildProgressTest {

    private static final long START_MS = 1_700_000_000_000L;
    private static final NamespaceName ORDERS = new NamespaceName("orders");

    private final ManualNodeTime time = new ManualNodeTime(START_MS);

    @Test
    void aRunningRebuildsElapsedTimeAndRatesComeFromTheNodesClock() {
        RebuildProgress rebuild = new RebuildProgress(ORDERS, 3, 1_000, time);
        time.advance(Duration.ofSeconds(4));
        rebuild.applied(400, 400, 8_000_000);

        RebuildProgress.Status status = rebuild.status();

        assertThat(status.state()).isEqualTo("replaying");
        assertThat(status.startedAt()).isEqualTo(Instant.ofEpochMilli(START_MS).toString());
        assertThat(status.elapsedMs()).isEqualTo(4_000);
        assertThat(status.percentDone()).isEqualTo(40.0);
        assertThat(status.recordsPerSecond()).isEqualTo(100);
        assertThat(status.megabytesPerSecond()).isEqualTo(2.0);
    }

    @Test
    void aFinishedRebuildsTimeStopsWhenItReachedItsTarget() {
        RebuildProgress rebuild = new RebuildProgress(ORDERS, 3, 1_000, time);
        time.advance(Duration.ofSeconds(2));
        rebuild.advancedTo(1_000);
        time.advance(Duration.ofHours(1));

        RebuildProgress.Status status = rebuild.status();

        assertThat(status.state()).isEqualTo("done");
        assertThat(status.elapsedMs()).isEqualTo(2_000);
    }

    @Test
    void aFailedRebuildsTimeStopsWhenItFailed() {
        RebuildProgress rebuild = new RebuildProgress(ORDERS, 3, 1_000, time);
        time.advance(Duration.ofSeconds(3));
        rebuild.failed("the replica was closed");
        time.advance(Duration.ofMinutes(10));

        assertThat(rebuild.status().state()).isEqualTo("failed");
        assertThat(rebuild.status().elapsedMs()).isEqualTo(3_000);
    }
}
