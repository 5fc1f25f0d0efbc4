package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.RegionName;
import java.time.Duration;

/**
 * Everything a mirror between two regions is configured with (docs/configuration.md, "bin/logkv mirror").
 *
 * @param sourceRegion           the home region whose truth topics are copied
 * @param targetRegion           the region they are copied into
 * @param sourceKafka            how to reach the source region's Kafka cluster
 * @param targetKafka            how to reach the target region's Kafka cluster
 * @param namespaces             which namespaces are mirrored
 * @param rescan                 how often the source's topics are listed again for new namespaces (and
 *                               refused or failed topics tried again)
 * @param maxPollRecords         records per poll of the source
 * @param commitInterval         how long a transaction takes polls before it commits (as Kafka Streams commits every
 *                               100 ms): records are sent while the next poll fetches, and the commit's cost is shared
 *                               by every poll in it; a poll that returns nothing (the source is read to its end) commits
 *                               at once, so an idle mirror adds no delay. Zero: one poll per transaction
 * @param maxTransactionRecords  records per transaction at most
 * @param transactionTimeout     the target broker aborts a mirror transaction left open this long
 * @param kafkaTimeout           bound on every administrative call and on every blocking client call
 * @param positionsReadTimeout   bound on reading the positions topic to its end when a topic's mirror (re)starts
 * @param retryBackoff           wait before a topic's mirror starts again after a failure
 * @param heartbeat              how often, while a partition is quiet and read to its end, the mirror commits its
 *                               position with a fresh caught-up time, so that the target region knows its copy's
 *                               lag in time without traffic; also the shortest interval between grants of the source's home lease
 * @param homeLease              how long each grant of the source region's home lease lasts (docs/adr/0020, "Home
 *                               leases"): the source's nodes acknowledge writes only while the mirror has renewed it
 *                               within this time, and a forced promotion of the target waits this long after revoking
 *                               it. Longer than the source nodes' {@code logkv.region.lease-view-staleness}
 * @param maxClockSkew           how far the clocks of the source's nodes, the mirror and a promotion may differ
 */
public record MirrorSettings(RegionName sourceRegion, RegionName targetRegion, KafkaConnection sourceKafka,
                             KafkaConnection targetKafka, NamespaceSelection namespaces, Duration rescan,
                             int maxPollRecords, Duration commitInterval, int maxTransactionRecords,
                             Duration transactionTimeout, Duration kafkaTimeout,
                             Duration positionsReadTimeout, Duration retryBackoff, Duration heartbeat,
                             Duration homeLease, Duration maxClockSkew) {

    public MirrorSettings {
        if (sourceRegion.equals(targetRegion)) {
            throw new IllegalArgumentException("a mirror copies between two different regions, not " + sourceRegion + " to itself");
        }
        if (maxPollRecords < 1 || maxTransactionRecords < 1 || commitInterval.isNegative()
                || commitInterval.compareTo(transactionTimeout.dividedBy(2)) > 0 || rescan.isNegative() || rescan.isZero() || transactionTimeout.toMillis() < 1000
                || kafkaTimeout.toMillis() < 1 || positionsReadTimeout.toMillis() < 1 || retryBackoff.isNegative()
                || heartbeat.toMillis() < 1) {
            throw new IllegalArgumentException("mirror settings out of range");
        }
        if (maxClockSkew.isNegative() || homeLease.compareTo(heartbeat.multipliedBy(3).plus(maxClockSkew.multipliedBy(2))) < 0) {
            throw new IllegalArgumentException("a home lease of " + homeLease.toMillis() + " ms is too short: it must last at least three"
                    + " heartbeats (" + heartbeat.toMillis() + " ms each) and twice the clock skew (" + maxClockSkew.toMillis() + " ms)");
        }
    }

    /** A mirror with the documented defaults. */
    public static MirrorSettings of(RegionName sourceRegion, RegionName targetRegion, String sourceBootstrapServers,
                                    String targetBootstrapServers, NamespaceSelection namespaces) {
        return of(sourceRegion, targetRegion, KafkaConnection.of(sourceBootstrapServers), KafkaConnection.of(targetBootstrapServers),
                namespaces);
    }

    /** A mirror with the documented defaults, between clusters reached with client settings of their own (TLS, SASL). */
    public static MirrorSettings of(RegionName sourceRegion, RegionName targetRegion, KafkaConnection sourceKafka,
                                    KafkaConnection targetKafka, NamespaceSelection namespaces) {
        return new MirrorSettings(sourceRegion, targetRegion, sourceKafka, targetKafka, namespaces,
                Duration.ofSeconds(10), 2000, Duration.ofMillis(100), 50_000, Duration.ofSeconds(30), Duration.ofSeconds(15),
                Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(1));
    }

    public MirrorSettings withHeartbeat(Duration interval) {
        return new MirrorSettings(sourceRegion, targetRegion, sourceKafka, targetKafka, namespaces,
                rescan, maxPollRecords, commitInterval, maxTransactionRecords, transactionTimeout, kafkaTimeout, positionsReadTimeout,
                retryBackoff, interval, homeLease, maxClockSkew);
    }

    public MirrorSettings withRescan(Duration interval) {
        return new MirrorSettings(sourceRegion, targetRegion, sourceKafka, targetKafka, namespaces,
                interval, maxPollRecords, commitInterval, maxTransactionRecords, transactionTimeout, kafkaTimeout, positionsReadTimeout,
                retryBackoff, heartbeat, homeLease, maxClockSkew);
    }

    public MirrorSettings withMaxPollRecords(int records) {
        return new MirrorSettings(sourceRegion, targetRegion, sourceKafka, targetKafka, namespaces,
                rescan, records, commitInterval, maxTransactionRecords, transactionTimeout, kafkaTimeout, positionsReadTimeout,
                retryBackoff, heartbeat, homeLease, maxClockSkew);
    }

    /** Transactions that take polls for up to {@code interval} and hold at most {@code records}. */
    public MirrorSettings withTransactions(Duration interval, int records) {
        return new MirrorSettings(sourceRegion, targetRegion, sourceKafka, targetKafka, namespaces,
                rescan, maxPollRecords, interval, records, transactionTimeout, kafkaTimeout, positionsReadTimeout,
                retryBackoff, heartbeat, homeLease, maxClockSkew);
    }

    public MirrorSettings withTransactionTimeout(Duration timeout) {
        return new MirrorSettings(sourceRegion, targetRegion, sourceKafka, targetKafka, namespaces,
                rescan, maxPollRecords, commitInterval, maxTransactionRecords, timeout, kafkaTimeout, positionsReadTimeout,
                retryBackoff, heartbeat, homeLease, maxClockSkew);
    }

    /** Grants of the source's home lease that last {@code lease}, between clocks that differ by up to {@code skew}. */
    public MirrorSettings withHomeLease(Duration lease, Duration skew) {
        return new MirrorSettings(sourceRegion, targetRegion, sourceKafka, targetKafka, namespaces,
                rescan, maxPollRecords, commitInterval, maxTransactionRecords, transactionTimeout, kafkaTimeout, positionsReadTimeout,
                retryBackoff, heartbeat, lease, skew);
    }

    /** The mirror the other way: from this target region back into this source region, with the same settings. */
    public MirrorSettings reversed() {
        return new MirrorSettings(targetRegion, sourceRegion, targetKafka, sourceKafka, namespaces,
                rescan, maxPollRecords, commitInterval, maxTransactionRecords, transactionTimeout, kafkaTimeout, positionsReadTimeout,
                retryBackoff, heartbeat, homeLease, maxClockSkew);
    }

    /**
     * The transactional id of the mirror of {@code topic} from the source to the target region: the same for
     * every instance of that mirror, so a new instance fences every older one ({@code initTransactions}).
     */
    public String transactionalId(String topic) {
        return "logkv.mirror." + sourceRegion + "." + targetRegion + "." + topic;
    }
}
