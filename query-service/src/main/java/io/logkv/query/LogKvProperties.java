package io.logkv.query;

import io.logkv.core.RegionName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

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
 */
@ConfigurationProperties("logkv")
public record LogKvProperties(
        @DefaultValue("node-1") String nodeId,
        @DefaultValue("") String advertisedUrl,
        @DefaultValue("./data/node-1") Path dataDir,
        @DefaultValue Kafka kafka,
        @DefaultValue Limits limits,
        @DefaultValue Truth truth,
        @DefaultValue Namespaces namespaces,
        @DefaultValue Writer writer,
        @DefaultValue Replicas replicas,
        @DefaultValue Compactor compactor,
        @DefaultValue Snapshots snapshots,
        @DefaultValue Watch watch,
        @DefaultValue Region region,
        @DefaultValue Security security,
        @DefaultValue Quotas quotas,
        @DefaultValue Shedding shedding,
        @DefaultValue Resp resp) {

    /**
     * @param bootstrapServers the Kafka brokers
     * @param adminTimeout     the bound on each administrative call (topic creation, descriptions)
     */
    public record Kafka(
            @DefaultValue("localhost:19092") String bootstrapServers,
            @DefaultValue("15s") Duration adminTimeout) {
    }

    /**
     * @param maxKeyBytes   the longest key, in UTF-8 bytes
     * @param maxValueBytes the largest value
     */
    public record Limits(
            @DefaultValue("1024") int maxKeyBytes,
            @DefaultValue("1MB") DataSize maxValueBytes) {
    }

    /**
     * @param replicationFactor replicas of each truth partition (at least 3)
     * @param minInsyncReplicas replicas that must hold a write before it is acknowledged (at least 2)
     * @param tombstoneRetention {@code delete.retention.ms} of new truth topics: how long the cleaner keeps a
     *                          tombstone; must exceed {@code logkv.replicas.max-resume-age}
     * @param segmentAge        {@code segment.ms} of new truth topics: a segment becomes cleanable this long
     *                          after its first record at the latest
     * @param minCompactionLag  {@code min.compaction.lag.ms} of new truth topics
     * @param healthInterval    how often a node reads its truth topics' bytes, records and retention from Kafka
     */
    public record Truth(
            @DefaultValue("3") int replicationFactor,
            @DefaultValue("2") int minInsyncReplicas,
            @DefaultValue("24h") Duration tombstoneRetention,
            @DefaultValue("6h") Duration segmentAge,
            @DefaultValue("0s") Duration minCompactionLag,
            @DefaultValue("1m") Duration healthInterval) {
    }

    /**
     * @param bootstrap         namespaces created at start when missing
     * @param defaultPartitions partitions of a namespace created without a count
     */
    public record Namespaces(
            @DefaultValue("default") List<String> bootstrap,
            @DefaultValue("6") int defaultPartitions) {
    }

    /**
     * @param groupId            the consumer group whose assignment decides which node owns which partition
     * @param sessionTimeout     how long the group waits for a silent node before giving its partitions to others
     * @param maxPollInterval    how long a node's owner loop may stall before it leaves the group
     * @param catchUpTimeout     how long a new owner may take to catch up with a partition
     * @param forwardTimeout     how long a write forwarded to the owner may take
     * @param idempotencyWindow  how long an {@code Idempotency-Key} answers retries with the first outcome
     * @param maxPendingWrites   writes that may wait for a transaction before new ones get 503
     * @param maxBatchRecords    records per transaction at most (group commit)
     * @param maxBatchBytes      bytes per transaction at most
     * @param transactionTimeout how long the broker lets an open transaction live before aborting it; above the
     *                           delivery timeout, so that a transaction waiting out a broker fail-over is not
     *                           aborted under the writer
     * @param deliveryTimeout    how long a write may take to be acknowledged before it fails
     * @param compression        Kafka compression of truth records
     * @param commitLinger       after a commit, how long the next transaction may wait for the clients that
     *                           commit answered to write again (0: never)
     * @param commitThreads      transactions of different partitions in flight on the node at once
     * @param forwardAttemptTimeout how long one forward of a write to its owner may go unanswered (a hung
     *                           owner): then the write is retried at the owner the group names, if it has an
     *                           {@code Idempotency-Key}, else answered 503; about the session timeout plus 2 s
     */
    public record Writer(
            @DefaultValue("logkv-writers") String groupId,
            @DefaultValue("10s") Duration sessionTimeout,
            @DefaultValue("30s") Duration maxPollInterval,
            @DefaultValue("30s") Duration catchUpTimeout,
            @DefaultValue("25s") Duration forwardTimeout,
            @DefaultValue("12s") Duration forwardAttemptTimeout,
            @DefaultValue("24h") Duration idempotencyWindow,
            @DefaultValue("10000") int maxPendingWrites,
            @DefaultValue("1000") int maxBatchRecords,
            @DefaultValue("16MB") DataSize maxBatchBytes,
            @DefaultValue("30s") Duration transactionTimeout,
            @DefaultValue("20s") Duration deliveryTimeout,
            @DefaultValue("lz4") String compression,
            @DefaultValue("3ms") Duration commitLinger,
            @DefaultValue("8") int commitThreads) {
    }

    /**
     * @param blockCache        the RocksDB block cache shared by every replica of the node
     * @param writeBuffers      the RocksDB memtable budget shared by every replica (charged to the cache)
     * @param minBlobSize       values at least this large are kept in RocksDB blob files
     * @param maxPollRecords    log records applied per poll
     * @param maxWaitingReads   reads that may wait for replicas to catch up at once before others get 503
     * @param maxWaitingReadsPerClient reads of one client (its principal; its address on an open node) that may
     *                          wait at once before its others get 429
     * @param maxWaitingReadsPerNamespace reads of one namespace that may wait at once before its others get 429
     * @param defaultWait       how long a read waits for its replica by default ({@code wait_ms})
     * @param maxWait           the largest {@code wait_ms} accepted
     * @param readyMaxLagRecords the lag, in records, under which a node counts as caught up (readiness)
     * @param copies            replicas of each partition across the nodes (the partition's owner is one)
     * @param placementRefresh  how often a node re-reads the group and re-places its replicas
     * @param releaseDelay      how long a node keeps a replica that left its placement (while the new holder catches up)
     * @param forwardTimeout    how long a node forwarded a read may take beyond the read's own wait
     * @param hedgeAfter        a forwarded read not answered by then is also sent to the next replica, and
     *                          the first answer wins (a hung replica costs a read this, not the forward timeout)
     * @param maxBatchKeys      keys one batch-get may ask for
     * @param forwardBatchReads eventual reads forwarded to one node that travel in one exchange at most (1: each
     *                          read in its own); reads queue for a node only while {@code forwardBatchesInFlight}
     *                          exchanges to it are unanswered, so an idle node forwards each read at once
     * @param forwardBatchesInFlight exchanges of forwarded reads in flight to one node at once
     * @param maxResumeAge      a replica last written longer ago is replayed from the start rather than resumed;
     *                          keep it below the truth topics' {@code delete.retention.ms} (Kafka's default: 24h)
     */
    public record Replicas(
            @DefaultValue("256MB") DataSize blockCache,
            @DefaultValue("64MB") DataSize writeBuffers,
            @DefaultValue("64KB") DataSize minBlobSize,
            @DefaultValue("2000") int maxPollRecords,
            @DefaultValue("10000") int maxWaitingReads,
            @DefaultValue("1000") int maxWaitingReadsPerClient,
            @DefaultValue("5000") int maxWaitingReadsPerNamespace,
            @DefaultValue("1s") Duration defaultWait,
            @DefaultValue("10s") Duration maxWait,
            @DefaultValue("1000") long readyMaxLagRecords,
            @DefaultValue("2") int copies,
            @DefaultValue("1s") Duration placementRefresh,
            @DefaultValue("30s") Duration releaseDelay,
            @DefaultValue("2s") Duration forwardTimeout,
            @DefaultValue("200ms") Duration hedgeAfter,
            @DefaultValue("1000") int maxBatchKeys,
            @DefaultValue("64") int forwardBatchReads,
            @DefaultValue("2") int forwardBatchesInFlight,
            @DefaultValue("20h") Duration maxResumeAge) {
    }

    /**
     * @param expiryEnabled     whether this node writes tombstones for the expired keys of the partitions it owns
     * @param scanInterval      time between two passes over the owned replicas' expiry indexes
     * @param expiriesPerSecond expiry tombstones this node writes per second at most (expired keys read as 404
     *                          before their tombstone, so a backlog costs space, not correctness)
     * @param writeTimeout      how long a pass waits for its tombstones to be committed and applied
     */
    public record Compactor(
            @DefaultValue("true") boolean expiryEnabled,
            @DefaultValue("1s") Duration scanInterval,
            @DefaultValue("1000") int expiriesPerSecond,
            @DefaultValue("10s") Duration writeTimeout) {
    }

    /**
     * @param store     where snapshots of replicas are kept: {@code none}, {@code directory} or {@code s3}
     * @param directory the snapshot directory ({@code store=directory}): a volume every node mounts, so that a
     *                  replica can be seeded from a snapshot another node took
     * @param interval  time between two rounds of snapshots of the partitions a node owns (0: only on request)
     * @param retain    snapshots kept per partition
     * @param reseedBehindRecords a replica whose store could resume is seeded instead from a snapshot at least this
     *                  many records ahead of it (0: stores always resume and replay their tail)
     * @param s3        the object store ({@code store=s3})
     */
    public record Snapshots(
            @DefaultValue("none") SnapshotStoreKind store,
            @DefaultValue("./data/snapshots") Path directory,
            @DefaultValue("1h") Duration interval,
            @DefaultValue("2") int retain,
            @DefaultValue("1000000") long reseedBehindRecords,
            @DefaultValue S3 s3) {
    }

    /**
     * @param maxWatches    change streams one node serves at once (each reads the log with a consumer of its own);
     *                      more answer {@code 503 overloaded}
     * @param maxLagRecords a stream further than this behind the log's end (its client reads too slowly) is
     *                      ended with a {@code dropped} event; the client resumes with {@code Last-Event-ID}
     * @param maxDuration   a stream is ended after this long with a {@code reconnect} event (load spreads again)
     * @param heartbeat     a quiet stream gets a comment this often, so that a gone client is noticed
     */
    public record Watch(
            @DefaultValue("100") int maxWatches,
            @DefaultValue("100000") long maxLagRecords,
            @DefaultValue("1h") Duration maxDuration,
            @DefaultValue("15s") Duration heartbeat) {
    }

    /**
     * @param name               this node's region (its Kafka cluster and the nodes on it): 1 to 64 of
     *                           {@code [A-Za-z0-9_-]}, the name mirrors use for it; empty for a single region.
     *                           Every node of a region names it alike; tokens carry it with their positions
     * @param urls               where each other region's nodes are reached (any node there), by region name: named
     *                           in the problem that refuses a write to a namespace whose home is that region, and
     *                           where such a write is forwarded with {@code forwardWrites}
     * @param forwardWrites      whether a write to a namespace whose home is another region is forwarded to that
     *                           region (its URL in {@code urls}) and answered with the home region's answer, instead of
     *                           refused with {@code 421 not-home-region}
     */
    public record Region(
            @DefaultValue("") String name,
            @DefaultValue Map<String, String> urls,
            @DefaultValue("false") boolean forwardWrites) {

        /** The region's name, or null when the node's region has none. */
        public RegionName regionName() {
            return name.isBlank() ? null : new RegionName(name.strip());
        }
    }

    /**
     * @param mode     {@code secured} (the default): every request but the health probes and the API document
     *                 needs credentials, nodes sign what they forward, tokens are signed, and a node refuses to
     *                 start without all of that configured; {@code open}: anyone may do anything
     *                 ({@code bin/logkv local}), which the node logs at start
     * @param apiKeys  callers known by an API key ({@code Authorization: ApiKey <key>})
     * @param jwt      callers known by a JWT ({@code Authorization: Bearer <jwt>})
     * @param node     the keys nodes sign forwarded requests with
     * @param tokens   the keys consistency tokens are signed with
     */
    public record Security(
            @DefaultValue("secured") SecurityMode mode,
            List<ApiKey> apiKeys,
            @DefaultValue Jwt jwt,
            @DefaultValue NodeKeys node,
            @DefaultValue TokenKeys tokens) {

        public Security {
            apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
        }
    }

    /**
     * Rates of reads and writes per client (its principal; on an open node the address it calls from) and per
     * namespace, each a token bucket that a node keeps for the requests clients send it (a request another node
     * forwards was counted there). A request over a rate is answered {@code 429 over-quota} with
     * {@code Retry-After}. Every rate is off by default.
     *
     * @param client     the rates of every client that {@code clients} does not name
     * @param namespace  the rates of every namespace that {@code namespaces} does not name
     * @param clients    rates of named clients (principals); what one leaves unset is {@code client}'s
     * @param namespaces rates of named namespaces; what one leaves unset is {@code namespace}'s
     * @param maxTracked clients, and apart from them namespaces, whose buckets a node keeps at most: the least
     *                   used go first, and come back full
     */
    public record Quotas(
            @DefaultValue Rates client,
            @DefaultValue Rates namespace,
            Map<String, Rates> clients,
            Map<String, Rates> namespaces,
            @DefaultValue("10000") int maxTracked) {

        public Quotas {
            clients = clients == null ? Map.of() : Map.copyOf(clients);
            namespaces = namespaces == null ? Map.of() : Map.copyOf(namespaces);
        }
    }

    /**
     * The rates of one client or one namespace; null where unset.
     *
     * @param readsPerSecond  reads a second (a key's GET or HEAD, a key of a batch-get, a page of a scan, a watch
     *                        started); 0: no limit
     * @param writesPerSecond writes a second (a key's PUT or DELETE); 0: no limit
     * @param burst           how long a rate may be saved up: a full bucket holds rate × burst requests (at least one)
     */
    public record Rates(Long readsPerSecond, Long writesPerSecond, Duration burst) {
    }

    /**
     * @param maxActiveRequests API requests ({@code /v1/...}) a node works on at once, on a thread; beyond, a request
     *                          is answered {@code 503 overloaded} at once. A request waiting for Kafka or for a replica
     *                          holds no thread and no place here: the writer's and the waiting reads' own bounds apply
     *                          to it. 0: no bound
     * @param retryAfter        the {@code Retry-After} of those answers
     */
    public record Shedding(
            @DefaultValue("256") int maxActiveRequests,
            @DefaultValue("1s") Duration retryAfter) {
    }

    /**
     * The Redis-protocol (RESP2) endpoint: {@code GET}, {@code MGET}, {@code SET}, {@code DEL}, {@code EXISTS} and
     * {@code PING} on the same key operations as the HTTP API (docs/api.md, "Redis protocol").
     *
     * @param enabled        whether the node listens for it (off by default)
     * @param port           its TCP port
     * @param address        the address it binds
     * @param namespace      the namespace a new connection works in (changed with {@code LOGKV.NAMESPACE})
     * @param maxConnections connections served at once; one more is answered an error and closed
     * @param maxPipelined   commands of one connection in progress at once; beyond, the node stops reading from
     *                       the connection until replies have gone out
     * @param ioThreads      threads that read and write the connections (0: twice the cores)
     * @param commandTimeout the longest a command may take before it is answered {@code -TIMEOUT} (its own waits,
     *                       such as a read's for its replica, are shorter)
     */
    public record Resp(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("6380") int port,
            @DefaultValue("0.0.0.0") String address,
            @DefaultValue("default") String namespace,
            @DefaultValue("1024") int maxConnections,
            @DefaultValue("128") int maxPipelined,
            @DefaultValue("0") int ioThreads,
            @DefaultValue("30s") Duration commandTimeout) {
    }

    /** Whether a node checks who calls it. */
    public enum SecurityMode { SECURED, OPEN }

    /**
     * One caller known by an API key.
     *
     * @param name   the caller's name (the principal, in logs and in per-client limits)
     * @param sha256 the SHA-256 of the key, in hex: the node never holds the key itself
     * @param grants what the caller may do: {@code <right>:<namespace pattern>}, rights {@code read}, {@code write},
     *               {@code admin}, patterns of namespace characters and {@code *} ({@code read:orders-*}, {@code admin:*})
     */
    public record ApiKey(String name, String sha256, List<String> grants) {

        public ApiKey {
            grants = grants == null ? List.of() : List.copyOf(grants);
        }
    }

    /**
     * Callers known by a JWT, checked by Spring Security's OAuth2 resource server. Name one source of keys.
     *
     * @param issuerUri         the issuer: its keys are found through its OpenID configuration, and {@code iss} must match
     * @param jwkSetUri         a JWK set to verify signatures with
     * @param publicKeyLocation an RSA public key (PEM, X.509) to verify RS256 signatures with ({@code file:...}, {@code classpath:...})
     * @param secret            a shared secret (at least 32 bytes) to verify HS256 signatures with
     * @param audiences         when not empty, {@code aud} must name one of these
     * @param grantsClaim       the claim that holds the caller's grants: an array of {@code <right>:<pattern>} strings,
     *                          or one string of them separated by spaces
     * @param principalClaim    the claim that names the caller
     */
    public record Jwt(
            @DefaultValue("") String issuerUri,
            @DefaultValue("") String jwkSetUri,
            @DefaultValue("") String publicKeyLocation,
            @DefaultValue("") String secret,
            List<String> audiences,
            @DefaultValue("logkv_grants") String grantsClaim,
            @DefaultValue("sub") String principalClaim) {

        public Jwt {
            audiences = audiences == null ? List.of() : List.copyOf(audiences);
        }

        /** Whether a source of keys is configured. */
        public boolean configured() {
            return !issuerUri.isBlank() || !jwkSetUri.isBlank() || !publicKeyLocation.isBlank() || !secret.isBlank();
        }
    }

    /**
     * The secrets nodes sign the requests they forward to each other with (HMAC-SHA256 over the method, the path,
     * the time and a digest of the body). Every node holds the same keys.
     *
     * @param signingKeyId  the key this node signs with
     * @param keys          every key a signature is accepted from, by id (each at least 32 bytes)
     * @param maxClockSkew  how far a forwarded request's time may be from this node's clock
     */
    public record NodeKeys(
            @DefaultValue("") String signingKeyId,
            Map<String, String> keys,
            @DefaultValue("30s") Duration maxClockSkew) {

        public NodeKeys {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
        }

        public boolean configured() {
            return !keys.isEmpty();
        }
    }

    /**
     * The keys of signed consistency tokens. Every node holds the same keys.
     *
     * @param signingKeyId         the key new tokens are signed with
     * @param keys                 every key a token is accepted from, by id (each at least 32 bytes)
     * @param acceptUnsignedIngest accept unsigned tokens that hold only ingest positions of the namespace read
     *                             (the tokens {@code IngestTokens} makes for streaming applications)
     */
    public record TokenKeys(
            @DefaultValue("") String signingKeyId,
            Map<String, String> keys,
            @DefaultValue("false") boolean acceptUnsignedIngest) {

        public TokenKeys {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
        }

        public boolean configured() {
            return !keys.isEmpty();
        }
    }

    /** The kinds of snapshot store. */
    public enum SnapshotStoreKind { NONE, DIRECTORY, S3 }

    /**
     * @param endpoint        the S3 API's URL (empty: AWS's endpoint for the region)
     * @param region          the region
     * @param bucket          the bucket (it must exist)
     * @param prefix          the key prefix of every snapshot object
     * @param accessKey       the access key (empty: the AWS default credentials chain)
     * @param secretKey       the secret key
     * @param pathStyleAccess address the bucket in the path rather than the host name (most S3-compatible servers)
     */
    public record S3(
            @DefaultValue("") String endpoint,
            @DefaultValue("us-east-1") String region,
            @DefaultValue("logkv-snapshots") String bucket,
            @DefaultValue("snapshots") String prefix,
            @DefaultValue("") String accessKey,
            @DefaultValue("") String secretKey,
            @DefaultValue("true") boolean pathStyleAccess) {
    }
}
