package io.logkv.local;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the log says about acknowledged writes a check found missing, so that a failed fault test tells a lost write
 * from a late read: where each key's records are when read uncommitted (none at all: never written; present but not
 * committed: in an aborted or still open transaction), each partition's last stable offset and high watermark, the
 * transactions still open on it, and whether a read_committed read made 30 s later finds the key.
 */
final class LostWrites {

    private static final int MOST_KEYS_EXPLAINED = 20;

    private LostWrites() {
    }

    /** An explanation to append to the failure of a check that found {@code lost} missing; empty when none is. */
    static String explain(String bootstrap, String topic, Collection<String> lost) {
        if (lost.isEmpty()) {
            return "";
        }
        StringBuilder report = new StringBuilder("\nwhat the log says of the missing writes (" + Instant.now() + "):");
        try {
            Set<String> explained = lost.stream().sorted().limit(MOST_KEYS_EXPLAINED).collect(Collectors.toCollection(TreeSet::new));
            Map<String, List<String>> uncommitted = uncommittedRecords(bootstrap, topic, explained);
            Set<Integer> partitions = new TreeSet<>();
            for (String key : explained) {
                List<String> records = uncommitted.getOrDefault(key, List.of());
                report.append("\n  ").append(key).append(": ")
                        .append(records.isEmpty() ? "no record at all, even read uncommitted" : "read uncommitted at " + records);
                records.forEach(place -> partitions.add(Integer.parseInt(place.substring(0, place.indexOf('@')))));
            }
            report.append(partitionStates(bootstrap, topic, partitions));
            Thread.sleep(30_000);
            Set<String> committedLater = CommittedKeys.of(bootstrap, topic);
            report.append("\n  committed in a read_committed read 30 s later: ")
                    .append(explained.stream().filter(committedLater::contains).toList())
                    .append("; still missing: ").append(explained.stream().filter(key -> !committedLater.contains(key)).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            report.append("\n  (interrupted)");
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            report.append("\n  (could not read the log: ").append(e).append(')');
        }
        ProcessCluster.log(report.toString());
        return report.toString();
    }

    /** Where each of {@code keys} has records in the topic read uncommitted, as "partition@offset". */
    private static Map<String, List<String>> uncommittedRecords(String bootstrap, String topic, Set<String> keys) {
        Map<String, List<String>> places = new HashMap<>();
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                    if (key != null && keys.contains(key)) {
                        places.computeIfAbsent(key, k -> new ArrayList<>()).add(record.partition() + "@" + record.offset()
                                + (record.value() == null ? " (tombstone)" : ""));
                    }
                }
            }
        }
        return places;
    }

    /** Each partition's last stable offset, high watermark and the transactions open on it now. */
    private static String partitionStates(String bootstrap, String topic, Set<Integer> partitions)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (partitions.isEmpty()) {
            return "";
        }
        StringBuilder states = new StringBuilder();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(partition -> latest.put(new TopicPartition(topic, partition), OffsetSpec.latest()));
            var highWatermarks = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all()
                    .get(30, TimeUnit.SECONDS);
            var stableOffsets = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(30, TimeUnit.SECONDS);
            Collection<TransactionListing> open = admin.listTransactions(new ListTransactionsOptions()
                    .filterStates(List.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT)))
                    .all().get(30, TimeUnit.SECONDS);
            Map<String, TransactionDescription> described = open.isEmpty() ? Map.of()
                    : admin.describeTransactions(open.stream().map(TransactionListing::transactionalId).toList()).all()
                    .get(30, TimeUnit.SECONDS);
            for (int partition : partitions) {
                TopicPartition tp = new TopicPartition(topic, partition);
                states.append("\n  partition ").append(partition).append(": last stable offset ")
                        .append(stableOffsets.get(tp).offset()).append(", high watermark ").append(highWatermarks.get(tp).offset())
                        .append(", open transactions ");
                List<String> onIt = new ArrayList<>();
                described.forEach((id, description) -> {
                    if (description.topicPartitions().contains(tp)) {
                        onIt.add(id + " (" + description.state() + ", producer " + description.producerId() + " epoch "
                                + description.producerEpoch() + ", started " + description.transactionStartTimeMs().orElse(-1) + ")");
                    }
                });
                states.append(onIt);
            }
        }
        return states.toString();
    }
}
