package io.logkv.mirror;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of one topic's mirror. The values are set by the mirror's thread and only read by the
 * registry, because the consumer that knows the lag may be used by its own thread only.
 */
final class MirrorMeters {

    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter records;
    private final Timer commits;
    private final Map<Integer, AtomicLong> lagRecords = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong> lastSourceTimestampMs = new ConcurrentHashMap<>();

    MirrorMeters(MeterRegistry registry, MirrorSettings settings, String topic) {
        this.registry = registry;
        this.tags = Tags.of("source", settings.sourceRegion().value(), "target", settings.targetRegion().value(), "topic", topic);
        this.records = Counter.builder("logkv.mirror.records").description("Records mirrored (committed in the target region)")
                .tags(tags).register(registry);
        this.commits = Timer.builder("logkv.mirror.commit").description("Time to send, flush and commit one mirror transaction")
                .tags(tags).register(registry);
    }

    void committed(int count, long nanos) {
        records.increment(count);
        commits.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Records in the source partition not mirrored yet (as of the last fetch). */
    void lag(int partition, long recordsBehind) {
        lagRecords.computeIfAbsent(partition, p -> gauge("logkv.mirror.lag.records",
                "Records of the source partition not mirrored yet", p)).set(recordsBehind);
    }

    /** The source timestamp of the last record of {@code partition} mirrored. */
    void lastMirrored(int partition, long timestampMs) {
        lastSourceTimestampMs.computeIfAbsent(partition, p -> gauge("logkv.mirror.last.mirrored.timestamp",
                "Source timestamp (epoch ms) of the last record mirrored", p)).set(timestampMs);
    }

    private AtomicLong gauge(String name, String description, int partition) {
        AtomicLong value = new AtomicLong(-1);
        Gauge.builder(name, value, AtomicLong::get).description(description)
                .tags(tags.and("partition", Integer.toString(partition))).register(registry);
        return value;
    }

    long lagRecords() {
        return lagRecords.values().stream().mapToLong(value -> Math.max(0, value.get())).sum();
    }
}
