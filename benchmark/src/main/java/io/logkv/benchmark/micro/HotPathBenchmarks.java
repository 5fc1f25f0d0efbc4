package io.logkv.benchmark.micro;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import io.logkv.query.config.HotKeyProperties;
import io.logkv.query.read.HotKeys;
import io.logkv.query.read.ReadCoalescer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The code every request runs besides HTTP and RocksDB: hashing the key to its partition, decoding the
 * stored envelope, reading and merging tokens, writing the version. Each is far below a microsecond;
 * these benchmarks keep them there.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmarks {

    private static final NamespaceName NAMESPACE = new NamespaceName("bench");

    private byte[] key;
    private byte[] envelope;
    private RecordEnvelope decoded;
    private String token;
    private ConsistencyToken parsed;
    private ConsistencyToken served;
    private HotKeys hotKeys;
    private ReadCoalescer coalescer;
    private final Object replica = new Object();

    @Setup
    public void setUp() {
        key = "user/00012345/profile".getBytes(StandardCharsets.UTF_8);
        decoded = new RecordEnvelope(new Version(0x01a2079e1d520000L, 0x8f392f49), RecordEnvelope.NO_EXPIRY, "application/json",
                new byte[1024]);
        envelope = decoded.encode();
        ConsistencyToken six = ConsistencyToken.EMPTY;
        for (int p = 0; p < 6; p++) {
            six = six.merge(ConsistencyToken.of(NAMESPACE, new LogPosition(p, 1_000_000L + p * 7919)));
        }
        parsed = six;
        token = six.encode();
        served = ConsistencyToken.of(NAMESPACE, new LogPosition(3, 2_000_000L));
        hotKeys = new HotKeys(new HotKeyProperties(true, Duration.ofSeconds(10), 200, 10_000, 20), new SimpleMeterRegistry());
        coalescer = new ReadCoalescer(new SimpleMeterRegistry());
    }

    /** murmur2 of the key, as Kafka's partitioner: every read and write. */
    @Benchmark
    public int partitionOfKey() {
        return KeyPartitioner.partitionOf(key, 6);
    }

    /** The stored envelope (1 KiB value) back to version, expiry, content type and value: every read. */
    @Benchmark
    public RecordEnvelope decodeEnvelope() {
        return RecordEnvelope.decode(envelope);
    }

    /** A value into its envelope: every write. */
    @Benchmark
    public byte[] encodeEnvelope() {
        return decoded.encode();
    }

    /** A KV-Token header naming six partitions, parsed: every session read. */
    @Benchmark
    public ConsistencyToken decodeToken() {
        return ConsistencyToken.decodeAll(List.of(token));
    }

    /** The request's token merged with the serving position and encoded: every read's answer. */
    @Benchmark
    public String mergeAndEncodeToken() {
        return parsed.merge(served).encode();
    }

    /** The version as the ETag's text: every read and write. */
    @Benchmark
    public String versionText() {
        return decoded.version().text();
    }

    /** The key's read counted towards its heat (logkv.hot-keys): every read served. */
    @Benchmark
    public void countHotKeyRead() {
        hotKeys.read(NAMESPACE, key);
    }

    /** A store read through the coalescer, alone (no concurrent read to join): every key read. */
    @Benchmark
    public RecordEnvelope coalescedReadAlone() {
        return coalescer.read(replica, 42L, key, () -> decoded);
    }
}
