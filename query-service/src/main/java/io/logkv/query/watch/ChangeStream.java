package io.logkv.query.watch;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.KafkaConnection;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.logkv.core.RegionName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch: a {@code read_committed} consumer of its own on the namespace's truth partitions, from the
 * watch's start positions, sending each change (of a key under the prefix) as an event whose id is a token
 * of every partition's position after it. Events follow the log's order within each partition; a client
 * that resumes with an event's id (or any token) gets exactly the changes after it. The consumer reads only
 * once the last batch is sent, so a slow client holds back its own stream, never the node's memory; one
 * further behind the log than {@code maxLagRecords} is dropped with a {@code dropped} event.
 */
final class ChangeStream implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ChangeStream.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final NamespaceName namespace;
    /** This node's region: the one whose positions the stream's event ids carry. */
    private final RegionName region;
    private final int partitions;
    private final ConsistencyToken from;
    private final boolean fromNow;
    private final byte[] prefix;
    private final EventSink sink;
    private final ChangeStreams.Settings settings;
    private final Properties consumerConfig;
    private final java.util.function.Consumer<ChangeStream> ended;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean stopped;

    /** @param ended told when the stream has ended, before its sink completes */
    ChangeStream(NamespaceName namespace, RegionName region, int partitions, ConsistencyToken from, boolean fromNow, String prefix, EventSink sink,
                 ChangeStreams.Settings settings, java.util.function.Consumer<ChangeStream> ended) {
        this.namespace = namespace;
        this.region = region;
        this.partitions = partitions;
        this.from = from;
        this.fromNow = fromNow;
        this.prefix = prefix == null ? new byte[0] : prefix.getBytes(StandardCharsets.UTF_8);
        this.sink = sink;
        this.settings = settings;
        this.consumerConfig = consumerConfig(settings.kafka());
        this.ended = ended;
    }

    /** Ends the stream from another thread (the client went away, the node stops). */
    void stop() {
        stopped = true;
        KafkaConsumer<byte[], byte[]> running = consumer;
        if (running != null) {
            running.wakeup();
        }
    }

    @Override
    public void run() {
        long deadline = System.nanoTime() + settings.maxDuration().toNanos();
        String ending = "reconnect";
        String reason = "the stream reached its maximum duration; resume with Last-Event-ID";
        // Every record up to here has been read, and sent when it matched: the ending events carry it as their id, so a
        // stream whose prefix matched nothing for long resumes from where it got to, not from where it started.
        ConsistencyToken position = null;
        try (KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer = kafka;
            if (stopped) {
                return;
            }
            List<TopicPartition> assigned = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                assigned.add(namespace.truthPartition(p));
            }
            kafka.assign(assigned);
            position = start(kafka, assigned);
            sink.send(position, "ready", Map.of("namespace", namespace.value(), "partitions", partitions));
            long lastSent = System.nanoTime();
            while (!stopped && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> records = kafka.poll(POLL);
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    position = position.merge(ConsistencyToken.of(namespace, region, new LogPosition(record.partition(), record.offset() + 1)));
                    ChangeEvent change = ChangeEvent.of(record);
                    if (change != null && startsWithPrefix(record.key())) {
                        sink.send(position, ChangeEvent.typeOf(record), change);
                        lastSent = System.nanoTime();
                    }
                }
                if (System.nanoTime() - lastSent > settings.heartbeat().toNanos()) {
                    sink.comment("heartbeat");
                    lastSent = System.nanoTime();
                }
                long lag = lag(kafka, assigned);
                if (lag > settings.maxLagRecords()) {
                    ending = "dropped";
                    reason = "the client read " + lag + " records behind the log (more than " + settings.maxLagRecords()
                            + "); resume with Last-Event-ID";
                    break;
                }
            }
            if (stopped) {
                reason = "the stream was stopped; resume with Last-Event-ID";
            }
            sink.send(position, ending, Map.of("reason", reason));
        } catch (WakeupException stopping) {
            // stop() was called: the node is stopping, or the client left (then this send fails, quietly).
            try {
                sink.send(position, "reconnect", Map.of("reason", "the stream was stopped; resume with Last-Event-ID"));
            } catch (IOException | IllegalStateException ignored) {
                // the client is gone
            }
        } catch (IOException | IllegalStateException clientGone) {
            log.debug("event=watch_client_gone namespace={} error=\"{}\"", namespace, clientGone.toString());
        } catch (RuntimeException e) {
            log.warn("event=watch_failed namespace={} error=\"{}\"", namespace, e.toString());
            try {
                // No id: the failure may have come between a record's position and its event.
                sink.send(null, "dropped", Map.of("reason", "the stream failed: " + e.getMessage() + "; resume with Last-Event-ID"));
            } catch (IOException | IllegalStateException ignored) {
                // the client is gone as well
            }
        } finally {
            consumer = null;
            ended.accept(this);
            sink.complete();
        }
    }

    /** Seeks every partition to where the watch starts; answers the token of those positions. */
    private ConsistencyToken start(KafkaConsumer<byte[], byte[]> kafka, List<TopicPartition> assigned) {
        ConsistencyToken position = ConsistencyToken.EMPTY;
        Map<TopicPartition, Long> ends = fromNow ? kafka.endOffsets(assigned) : Map.of();
        for (TopicPartition tp : assigned) {
            long start = fromNow ? ends.get(tp) : from.positionFor(namespace, region, tp.partition());
            kafka.seek(tp, start);
            position = position.merge(ConsistencyToken.of(namespace, region, new LogPosition(tp.partition(), start)));
        }
        return position;
    }

    private static long lag(KafkaConsumer<byte[], byte[]> kafka, List<TopicPartition> assigned) {
        long lag = 0;
        for (TopicPartition tp : assigned) {
            lag += kafka.currentLag(tp).orElse(0);
        }
        return lag;
    }

    private boolean startsWithPrefix(byte[] key) {
        if (key.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static Properties consumerConfig(KafkaConnection kafka) {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logkv-watch");
        return props;
    }
}
