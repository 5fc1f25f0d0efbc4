package io.logkv.query.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Every knob of a LogKV node, with its default. Set them as {@code logkv.*} properties (command line,
 * environment, {@code application.yml}); docs/configuration.md lists them.
 *
 * @param nodeId        this node's name: part of its transactional id and of every version it writes
 * @param advertisedUrl where other nodes reach this node's HTTP API to forward writes; empty means
 *                      {@code http://localhost:<server port>}
 * @param dataDir       where this node keeps its replicas
 * @param kafka      how to reach Kafka
 * @param limits     what a request may hold
 * @param truth      how truth topics are created and checked
 * @param namespaces namespaces every node makes sure exist at start
 * @param writer     the write path
 * @param replicas   the replicas and the read path
 * @param compactor  expiry through the log
 * @param snapshots  snapshots of replicas
 * @param watch      change streams ({@code GET /v1/namespaces/{ns}/watch})
 * @param region     the region this node belongs to, and where other regions' nodes are
 * @param security   who may do what, how nodes trust each other, signed tokens (ADR 0014)
 * @param quotas     rates of reads and writes per client and per namespace (ADR 0016)
 * @param shedding   refusing at once the work a node cannot take (ADR 0016)
 * @param resp       the Redis-protocol endpoint (ADR 0018)
 * @param hotKeys    finding the keys a node serves most
 */
@ConfigurationProperties("logkv")
public record LogKvProperties(
        @DefaultValue("node-1") String nodeId,
        @DefaultValue("") String advertisedUrl,
        @DefaultValue("./data/node-1") Path dataDir,
        @DefaultValue KafkaClientProperties kafka,
        @DefaultValue RequestLimits limits,
        @DefaultValue TruthTopicProperties truth,
        @DefaultValue StartupNamespaces namespaces,
        @DefaultValue WriterProperties writer,
        @DefaultValue ReplicaProperties replicas,
        @DefaultValue CompactorProperties compactor,
        @DefaultValue SnapshotProperties snapshots,
        @DefaultValue WatchProperties watch,
        @DefaultValue RegionProperties region,
        @DefaultValue NodeSecurityProperties security,
        @DefaultValue QuotaProperties quotas,
        @DefaultValue SheddingProperties shedding,
        @DefaultValue RespProperties resp,
        @DefaultValue HotKeyProperties hotKeys) {
}
