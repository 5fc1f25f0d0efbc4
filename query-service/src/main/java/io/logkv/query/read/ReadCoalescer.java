package io.logkv.query.read;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Concurrent reads of one key, from one replica, at one applied position, share one store read: the first
 * reads, the others take its result. A read joins only a read that started at the very position its own
 * replica has applied, which is at least the position its consistency waited for; so a shared result is
 * never older than the read's own would have been, and session and strong reads keep their guarantees.
 * Joined reads are counted ({@code logkv.reads.coalesced}).
 */
public final class ReadCoalescer {

    private final ConcurrentHashMap<Probe, CompletableFuture<Object>> inFlight = new ConcurrentHashMap<>();
    private final Counter coalesced;

    public ReadCoalescer(MeterRegistry meters) {
        this.coalesced = Counter.builder("logkv.reads.coalesced")
                .description("Key reads answered by another read of the same key at the same position, without a store read of their own")
                .register(meters);
    }

    /**
     * The result of {@code read}, or of a read of the same key from the same source at the same position
     * already running.
     *
     * @param source   the replica read
     * @param position the position the replica has applied when this read starts
     */
    @SuppressWarnings("unchecked")
    public <T> T read(Object source, long position, byte[] key, Supplier<T> read) {
        Probe probe = new Probe(source, position, ByteBuffer.wrap(key));
        CompletableFuture<Object> mine = new CompletableFuture<>();
        CompletableFuture<Object> running = inFlight.putIfAbsent(probe, mine);
        if (running != null) {
            coalesced.increment();
            return (T) running.join();
        }
        try {
            T value = read.get();
            mine.complete(value);
            return value;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(probe, mine);
        }
    }

    /** Joined reads so far. */
    public long coalesced() {
        return (long) coalesced.count();
    }

    /** One replica's key at one position; the replica by identity. */
    private record Probe(Object source, long position, ByteBuffer key) {

        @Override
        public boolean equals(Object other) {
            return other instanceof Probe that && source == that.source && position == that.position && key.equals(that.key);
        }

        @Override
        public int hashCode() {
            return (System.identityHashCode(source) * 31 + Long.hashCode(position)) * 31 + key.hashCode();
        }
    }
}
