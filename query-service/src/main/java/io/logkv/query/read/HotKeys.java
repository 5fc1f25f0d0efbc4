package io.logkv.query.read;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.logkv.core.NamespaceName;
import io.logkv.query.config.HotKeyProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys this node serves most: reads served by its replicas and writes taken as a partition's owner are
 * counted per key over a window ({@code logkv.hot-keys.window}); at the end of each window the keys at or
 * above {@code logkv.hot-keys.min-rate} requests a second become the report ({@code GET /v1/admin/hot-keys},
 * gauge {@code logkv.keys.hot}), and a key that becomes hot is logged once. Counting is bounded: a Caffeine
 * cache of {@code logkv.hot-keys.tracked} keys, whose frequency-based admission keeps the requested keys
 * when a flood of distinct ones arrives.
 *
 * <p>Reads reach that cache only once their key has been read a sixteenth of the reporting rate's worth in the
 * window ({@link RequestSketch}, fixed-size counters shared by hash): a read of a cold key costs a hash and one
 * counter, not a cache insertion and eviction. The first read that finds a key at that count credits its entry
 * with it, once per window, so a key's count may be off by at most that sixteenth (keys sharing its counter make
 * it enter early; a lost increment makes it enter late), and a key is reported only at fifteen sixteenths of the
 * rate or above. Counts are approximate (a request counted while the window turns may be lost); they are a
 * guide, not a bill. Thread-safe.
 */
public final class HotKeys {

    private static final Logger log = LoggerFactory.getLogger(HotKeys.class);

    private final HotKeyProperties settings;
    private final LongSupplier nanoTime;
    private final LongSupplier wallMillis;
    private final Cache<Tracked, Counts> counts;
    private final RequestSketch sketch = new RequestSketch();
    /** Reads of a key in a window from which they are counted in the cache: a sixteenth of the reporting threshold. */
    private final long readsToTrack;
    private final long windowNanos;
    private volatile long windowStartNanos;
    private volatile Report last;

    public HotKeys(HotKeyProperties settings, MeterRegistry meters) {
        this(settings, meters, System::nanoTime, System::currentTimeMillis);
    }

    HotKeys(HotKeyProperties settings, MeterRegistry meters, LongSupplier nanoTime, LongSupplier wallMillis) {
        if (settings.window().isNegative() || settings.window().isZero() || settings.tracked() < 1 || settings.reported() < 1
                || settings.minRate() < 1) {
            throw new IllegalArgumentException("logkv.hot-keys settings out of range");
        }
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.wallMillis = wallMillis;
        this.counts = Caffeine.newBuilder().maximumSize(settings.tracked()).executor(Runnable::run).build();
        this.windowNanos = settings.window().toNanos();
        double reportedFrom = settings.minRate() * (windowNanos / 1e9);
        this.readsToTrack = Math.max(1, (long) Math.ceil(reportedFrom / 16));
        this.windowStartNanos = nanoTime.getAsLong();
        this.last = new Report(Instant.ofEpochMilli(wallMillis.getAsLong()), settings.window(), settings.minRate(), List.of());
        Gauge.builder("logkv.keys.hot", this, hot -> hot.last.keys().size())
                .description("Keys served at or above logkv.hot-keys.min-rate requests a second in the last window")
                .register(meters);
    }

    /** Counts a read of {@code key} served here. */
    public void read(NamespaceName namespace, byte[] key) {
        if (settings.enabled()) {
            if (sketch.add(namespace, key) >= readsToTrack) {
                Counts counts = countsOf(namespace, key);
                // The first read that finds the key's entry at the threshold brings the reads the sketch counted.
                // Read before the compare-and-set: a hot key's later reads then leave the flag's cache line shared.
                boolean first = !counts.earlyReadsCredited.get() && counts.earlyReadsCredited.compareAndSet(false, true);
                counts.reads.add(first ? readsToTrack : 1);
            }
            turnIfDue();
        }
    }

    /** Counts a write of {@code key} taken here as its partition's owner. */
    public void write(NamespaceName namespace, byte[] key) {
        if (settings.enabled()) {
            countsOf(namespace, key).writes.increment();
            turnIfDue();
        }
    }

    /** The hot keys of the last whole window, hottest first. */
    public Report report() {
        turnIfDue();
        return last;
    }

    /** Keys in the counting cache now (approximate, as Caffeine's size is). */
    long tracked() {
        return counts.estimatedSize();
    }

    private Counts countsOf(NamespaceName namespace, byte[] key) {
        return counts.get(new Tracked(namespace, ByteBuffer.wrap(key)), ignored -> new Counts());
    }

    private void turnIfDue() {
        long now = nanoTime.getAsLong();
        if (now - windowStartNanos < windowNanos) {
            return;
        }
        synchronized (this) {
            long started = windowStartNanos;
            if (now - started < windowNanos) {
                return;
            }
            windowStartNanos = now;
            double seconds = (now - started) / 1e9;
            Set<List<String>> wasHot = last.keys().stream().map(key -> List.of(key.namespace(), key.key())).collect(Collectors.toSet());
            List<HotKey> hot = counts.asMap().entrySet().stream()
                    .map(e -> new HotKey(e.getKey().namespace().value(), StandardCharsets.UTF_8.decode(e.getKey().key().duplicate()).toString(),
                            e.getValue().reads.sum() / seconds, e.getValue().writes.sum() / seconds))
                    .filter(key -> key.requestsPerSecond() >= settings.minRate())
                    .sorted(Comparator.comparingDouble(HotKey::requestsPerSecond).reversed())
                    .limit(settings.reported())
                    .toList();
            counts.invalidateAll();
            sketch.clear();
            last = new Report(Instant.ofEpochMilli(wallMillis.getAsLong()), Duration.ofNanos(now - started), settings.minRate(), hot);
            for (HotKey key : hot) {
                if (!wasHot.contains(List.of(key.namespace(), key.key()))) {
                    log.info("event=hot_key namespace={} key=\"{}\" reads_per_second={} writes_per_second={}", key.namespace(),
                            key.key(), Math.round(key.readsPerSecond()), Math.round(key.writesPerSecond()));
                }
            }
        }
    }

    private record Tracked(NamespaceName namespace, ByteBuffer key) {
    }

    private static final class Counts {
        final AtomicBoolean earlyReadsCredited = new AtomicBoolean();
        final LongAdder reads = new LongAdder();
        final LongAdder writes = new LongAdder();
    }

    /**
     * A key served at or above the reporting rate in the last window.
     *
     * @param namespace       its namespace
     * @param key             the key (keys are UTF-8 text)
     * @param readsPerSecond  reads served here a second
     * @param writesPerSecond writes taken here a second
     */
    public record HotKey(String namespace, String key, double readsPerSecond, double writesPerSecond) {

        public double requestsPerSecond() {
            return readsPerSecond + writesPerSecond;
        }
    }

    /**
     * The last whole window.
     *
     * @param at       when it ended
     * @param window   how long it ran
     * @param minRate  the rate from which a key was reported
     * @param keys     the hot keys, hottest first
     */
    public record Report(Instant at, Duration window, long minRate, List<HotKey> keys) {
    }
}
