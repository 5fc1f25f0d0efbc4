package io.logkv.query.keys;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ConsistencyToken;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.KeyRules;
import io.logkv.core.NodeTime;
import io.logkv.core.ProblemTypes;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.WriteCondition;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.config.ReplicaProperties;
import io.logkv.query.path.KeyPathSegment;
import io.logkv.query.peer.CallerDeadline;
import io.logkv.query.peer.Peers;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.read.HotKeys;
import io.logkv.query.read.KeyReads;
import io.logkv.query.read.ReadConsistency;
import io.logkv.query.read.ReadRouting;
import io.logkv.query.read.WaitBound;
import io.logkv.query.region.HomeRegions;
import io.logkv.query.request.KeyRequest;
import io.logkv.query.write.WriteConditions;
import io.logkv.query.write.WriteRouting;
import io.logkv.writer.LogWriter;
import io.logkv.writer.WriteOutcome;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.util.LinkedMultiValueMap;

/**
 * Put, get and delete of one key ({@code /v1/namespaces/{ns}/keys/{key}}, API.md), served by
 * the HTTP front's key endpoint. Each operation returns a future, so a request waiting for Kafka or for a replica
 * to catch up holds no server thread; a read whose replica is already there completes before it returns.
 */
@Component
public class KeyOperations {

    /** The most headers a read's answer carries: token, lag, serving node, ETag, expiry, content type. */
    private static final int ANSWER_HEADERS = 6;
    private static final List<String> FORWARDED_READ_HEADERS = List.of(ApiHeaders.TOKEN, HttpHeaders.IF_NONE_MATCH);
    static final List<String> RELAYED_READ_HEADERS = List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.ETAG, ApiHeaders.TOKEN, ApiHeaders.REPLICA_LAG_MS,
            ApiHeaders.EXPIRES_AT, ApiHeaders.SERVED_BY, HttpHeaders.RETRY_AFTER);

    private final NamespaceResolver namespaces;
    private final LogWriter writer;
    private final KeyReads reads;
    private final WriteRouting routing;
    private final ReadRouting readRouting;
    private final HotKeys hotKeys;
    private final String nodeId;
    private final KeyRules keyRules;
    private final long maxValueBytes;
    private final ReplicaProperties replicaProps;
    private final RequestTokens tokens;
    private final HomeRegions regions;
    /** A write's time to live counts from its wall clock. */
    private final NodeTime time;

    public KeyOperations(NamespaceResolver namespaces, LogWriter writer, KeyReads reads, WriteRouting routing,
                          ReadRouting readRouting, RequestTokens tokens, LogKvProperties props, HomeRegions regions, HotKeys hotKeys,
                          NodeTime time) {
        this.time = time;
        this.readRouting = readRouting;
        this.hotKeys = hotKeys;
        this.tokens = tokens;
        this.regions = regions;
        this.nodeId = props.nodeId();
        this.namespaces = namespaces;
        this.writer = writer;
        this.reads = reads;
        this.routing = routing;
        this.keyRules = new KeyRules(props.limits().maxKeyBytes());
        this.maxValueBytes = props.limits().maxValueBytes().toBytes();
        this.replicaProps = props.replicas();
    }

    /** PUT: writes the request's body as the key's value. */
    public CompletableFuture<ResponseEntity<?>> put(String ns, String key, HttpServletRequest request) throws IOException {
        return put(ns, key, KeyRequest.of(request));
    }

    /** PUT of a key asked with {@code request}. */
    public CompletableFuture<ResponseEntity<?>> put(String ns, String key, KeyRequest request) throws IOException {
        String ttl = request.parameter("ttl");
        ServedNamespace namespace = namespaces.resolve(ns);
        byte[] keyBytes = keyBytes(key);
        ConsistencyToken token = tokens.of(request.headers(ApiHeaders.TOKEN), namespace.name());
        WriteCondition condition = WriteConditions.of(request);
        String idempotencyKey = WriteConditions.idempotencyKey(request);
        String contentType = WriteValues.contentType(request.header(HttpHeaders.CONTENT_TYPE));
        long expiresAt = WriteValues.expiry(ttl, namespace.settings().defaultTtl(), time.nowMs());
        byte[] value = request.body(maxValueBytes);
        int partitions = namespace.settings().partitions();
        return routing.route(namespace, KeyPartitioner.partitionOf(keyBytes, partitions), request, value,
                deadline -> counted(namespace, keyBytes, writer.put(namespace.name(), partitions, keyBytes, contentType, value, expiresAt, condition,
                        idempotencyKey, deadline)),
                outcome -> written(HttpStatus.OK, namespace, outcome, token));
    }

    /** A write taken here as the partition's owner counts towards its key's heat once it is acknowledged. */
    private <T> CompletableFuture<T> counted(ServedNamespace namespace, byte[] key, CompletableFuture<T> write) {
        return write.whenComplete((done, failed) -> {
            if (failed == null) {
                hotKeys.write(namespace.name(), key);
            }
        });
    }

    /** DELETE: writes a tombstone for the key. */
    public CompletableFuture<ResponseEntity<?>> delete(String ns, String key, HttpServletRequest request) {
        return delete(ns, key, KeyRequest.of(request));
    }

    /** DELETE of a key asked with {@code request}. */
    public CompletableFuture<ResponseEntity<?>> delete(String ns, String key, KeyRequest request) {
        ServedNamespace namespace = namespaces.resolve(ns);
        byte[] keyBytes = keyBytes(key);
        ConsistencyToken token = tokens.of(request.headers(ApiHeaders.TOKEN), namespace.name());
        WriteCondition condition = WriteConditions.of(request);
        String idempotencyKey = WriteConditions.idempotencyKey(request);
        int partitions = namespace.settings().partitions();
        return routing.route(namespace, KeyPartitioner.partitionOf(keyBytes, partitions), request, null,
                deadline -> counted(namespace, keyBytes, writer.delete(namespace.name(), partitions, keyBytes, condition, idempotencyKey, deadline)),
                outcome -> written(HttpStatus.NO_CONTENT, namespace, outcome, token));
    }

    /** GET (and HEAD): the key's value, at the consistency the request asks for. */
    public CompletableFuture<ResponseEntity<?>> get(String ns, String key, HttpServletRequest request) {
        return get(ns, key, KeyRequest.of(request));
    }

    /** GET of a key asked with {@code arguments} (its own request, or an item of a batch of forwarded reads). */
    public CompletableFuture<ResponseEntity<?>> get(String ns, String key, KeyRequest arguments) {
        String consistency = arguments.parameter("consistency");
        String waitMs = arguments.parameter("wait_ms");
        String ifNoneMatch = arguments.header(HttpHeaders.IF_NONE_MATCH);
        ServedNamespace namespace = namespaces.resolve(ns);
        byte[] keyBytes = keyBytes(key);
        ConsistencyToken token = tokens.of(arguments.headers(ApiHeaders.TOKEN), namespace.name());
        ReadPlan plan = plan(namespace, keyBytes, consistency, token);
        Duration wait = CallerDeadline.bound(arguments::header, WaitBound.of(waitMs, replicaProps));
        int partition = plan.partition();
        boolean forwarded = arguments.header(ApiHeaders.FORWARDED_BY) != null;
        String client = arguments.client();
        Function<Duration, CompletableFuture<ResponseEntity<?>>> local = left -> reads.read(namespace, partition, keyBytes, plan.level(),
                        token, left, forwarded, client)
                .thenApply(read -> answer(ns, read, ifNoneMatch));
        List<String> peers = readRouting.peersFor(namespace, partition, plan.level(), forwarded);
        if (peers.isEmpty()) {
            return local.apply(wait);
        }
        String replicasHint = String.join(", ", peers);
        return readRouting.forward(namespace, partition, peers, ForwardedRequest.of(arguments, FORWARDED_READ_HEADERS),
                wait, plan.level(), response -> Peers.relay(response, RELAYED_READ_HEADERS, ApiHeaders.REPLICAS, replicasHint), local);
    }

    /**
     * A read of one key for a front that is not HTTP (the Redis protocol), under the same rules as GET, when this
     * node serves it from its own replica: no request to parse, no answer to build. Null when the read would be
     * forwarded to a replica elsewhere; the caller then makes it as a GET ({@link #get(String, String, KeyRequest)}).
     *
     * @param consistency the level asked for, or null for the API's default (session with a token, else eventual)
     * @param token       the positions the caller has seen
     * @return the read, or null when another node serves it
     */
    public CompletableFuture<KeyReads.KeyRead> readServedHere(String ns, byte[] key, String consistency, ConsistencyToken token,
                                                              String client) {
        ServedNamespace namespace = namespaces.resolve(ns);
        byte[] checked = checkedKey(KeyPathSegment.requireUtf8(key));
        ReadPlan plan = plan(namespace, checked, consistency, token);
        if (!readRouting.servedHere(namespace, plan.partition())) {
            return null;
        }
        return reads.read(namespace, plan.partition(), checked, plan.level(), token, WaitBound.of(null, replicaProps), false, client);
    }

    /** What every read of one key decides first, whichever front asked: its level and its partition. */
    private static ReadPlan plan(ServedNamespace namespace, byte[] checkedKey, String consistency, ConsistencyToken token) {
        return new ReadPlan(ReadConsistency.parse(consistency, !token.isEmpty()),
                KeyPartitioner.partitionOf(checkedKey, namespace.settings().partitions()));
    }

    private record ReadPlan(ReadConsistency level, int partition) {
    }

    private ResponseEntity<?> answer(String ns, KeyReads.KeyRead read, String ifNoneMatch) {
        RecordEnvelope envelope = read.envelope();
        String servedToken = tokens.text(read.token());
        String lag = Long.toString(read.lagMs());
        if (envelope == null) {
            throw new ApiProblem(HttpStatus.NOT_FOUND, ProblemTypes.KEY_NOT_FOUND, "Key not found",
                    "there is no live value for this key in '" + ns + "'")
                    .withHeader(ApiHeaders.TOKEN, servedToken)
                    .withHeader(ApiHeaders.REPLICA_LAG_MS, lag)
                    .withHeader(ApiHeaders.SERVED_BY, nodeId);
        }
        // A plain map: the names are the API's own constants, each set once, so the case-insensitive map HttpHeaders
        // makes by default (a lower-cased copy of every name, a second index) is work every read paid for nothing.
        HttpHeaders headers = new HttpHeaders(new LinkedMultiValueMap<>(ANSWER_HEADERS));
        headers.set(ApiHeaders.TOKEN, servedToken);
        headers.set(ApiHeaders.REPLICA_LAG_MS, lag);
        headers.set(ApiHeaders.SERVED_BY, nodeId);
        String etag = quoted(envelope.version().text());
        headers.setETag(etag);
        if (envelope.expiresAtMs() != RecordEnvelope.NO_EXPIRY) {
            headers.set(ApiHeaders.EXPIRES_AT, Instant.ofEpochMilli(envelope.expiresAtMs()).truncatedTo(ChronoUnit.MILLIS).toString());
        }
        if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
            return new ResponseEntity<>(headers, HttpStatus.NOT_MODIFIED);
        }
        headers.set(HttpHeaders.CONTENT_TYPE, envelope.contentType());
        return new ResponseEntity<>(envelope.value(), headers, HttpStatus.OK);
    }

    private ResponseEntity<?> written(HttpStatus status, ServedNamespace namespace, WriteOutcome outcome,
                                           ConsistencyToken requestToken) {
        String token = tokens.text(requestToken.merge(regions.token(namespace.name(), outcome.position())));
        String version = outcome.version().text();
        ResponseEntity.BodyBuilder response = ResponseEntity.status(status).eTag(quoted(version)).header(ApiHeaders.TOKEN, token);
        return status == HttpStatus.NO_CONTENT ? response.build() : response.body(new WriteResult(version, token));
    }

    /** The key's bytes, decoded from the raw {@code {key}} path segment. */
    private byte[] keyBytes(String rawKeySegment) {
        return checkedKey(KeyPathSegment.decode(rawKeySegment));
    }

    /** The key, when the key rules allow it; else the problem they name. */
    private byte[] checkedKey(byte[] key) {
        try {
            return keyRules.check(key);
        } catch (KeyRules.IllegalKeyException e) {
            throw e.tooLong()
                    ? new ApiProblem(HttpStatus.URI_TOO_LONG, ProblemTypes.KEY_TOO_LONG, "Key too long", e.getMessage())
                    : ApiProblem.badRequest(ProblemTypes.BAD_KEY, e.getMessage());
        }
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.strip();
            if (c.equals("*") || c.equals(etag) || c.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    private static String quoted(String version) {
        return "\"" + version + "\"";
    }

    /**
     * The body of a successful write.
     *
     * @param version the version the write created
     * @param token   a token covering the write
     */
    public record WriteResult(String version, String token) {
    }
}
