package io.logkv.query.watch;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.DaemonThreads;
import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.RegionName;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's change streams ({@code GET /v1/namespaces/{ns}/watch}): at most {@code maxWatches} at once,
 * each on a thread and a consumer of its own (reading the log is what makes a stream exact: the same records,
 * in the same order, as every replica applies), all ended when the node stops.
 */
public final class ChangeStreams implements AutoCloseable {

    private final Settings settings;
    private final Set<ChangeStream> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();

    public ChangeStreams(Settings settings, MeterRegistry meters) {
        this.settings = settings;
        Gauge.builder("logkv.watch.streams", open, Set::size).description("Change streams open on this node").register(meters);
    }

    /**
     * Starts a stream of a namespace's changes into {@code sink}.
     *
     * @param from    where it starts: every partition's position in the token (0 for a partition it does not name)
     * @param fromNow start at the log's end instead of {@code from}
     * @param prefix  only keys that start with it (null: every key)
     * @return what stops the stream (when its client goes away), or null when the node already serves
     *         {@code maxWatches} streams (nothing was started)
     */
    public Runnable open(NamespaceName namespace, RegionName region, int partitions, ConsistencyToken from, boolean fromNow, String prefix,
                         EventSink sink) {
        if (count.incrementAndGet() > settings.maxWatches()) {
            count.decrementAndGet();
            return null;
        }
        ChangeStream stream = new ChangeStream(namespace, region, partitions, from, fromNow, prefix, sink, settings, this::ended);
        open.add(stream);
        DaemonThreads.start("logkv-watch-" + namespace.value(), stream);
        return stream::stop;
    }

    /** Forgets a stream that has ended (its thread calls this last). */
    private void ended(ChangeStream stream) {
        if (open.remove(stream)) {
            count.decrementAndGet();
        }
    }

    @Override
    public void close() {
        open.forEach(ChangeStream::stop);
    }

    /**
     * @param kafka            how to reach the Kafka cluster
     * @param maxWatches       streams served at once
     * @param maxLagRecords    a stream further behind the log is dropped
     * @param maxDuration      a stream is ended after this long
     * @param heartbeat        a quiet stream gets a comment this often
     */
    public record Settings(KafkaConnection kafka, int maxWatches, long maxLagRecords, Duration maxDuration, Duration heartbeat) {
    }
}
