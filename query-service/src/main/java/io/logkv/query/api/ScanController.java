package io.logkv.query.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.logkv.core.ApiHeaders;
import io.logkv.core.ConsistencyToken;
import io.logkv.core.LogPosition;
import io.logkv.core.NodeTime;
import io.logkv.core.ProblemTypes;
import io.logkv.materializer.PartitionReplica;
import io.logkv.query.admission.AnswerMemory;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.config.ReplicaProperties;
import io.logkv.query.keys.RequestTokens;
import io.logkv.query.peer.CallerDeadline;
import io.logkv.query.peer.Peers;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.read.KeyReads;
import io.logkv.query.read.ReadConsistency;
import io.logkv.query.read.ReadRouting;
import io.logkv.query.read.WaitBound;
import io.logkv.query.region.HomeRegions;
import io.logkv.query.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code GET /v1/namespaces/{ns}/keys?prefix=&limit=&after=}: the live keys that start with a prefix, in
 * key order (UTF-8 bytes), a page at a time, merged across the namespace's partitions. Each partition is
 * read from one consistent view of a replica (this node's, or one a peer holds, asked for that partition
 * alone), at the requested consistency (eventual, session with {@code KV-Token}, or strong). A page ends
 * with {@code next}, the continuation: the next page holds the keys that sort after this page's last key,
 * so paging is stable whatever is written meanwhile (a key written behind the continuation is not seen,
 * one ahead of it is). A page's values fit in {@code logkv.replicas.max-answer-bytes}, shared among the partitions
 * (each gives at least one value, so paging moves on): a page may end before {@code limit} with a continuation.
 */
@RestController
public class ScanController {

    private static final int DEFAULT_LIMIT = 100;
    private static final List<String> FORWARDED_HEADERS = List.of(ApiHeaders.TOKEN);

    private final NamespaceResolver namespaces;
    private final KeyReads reads;
    private final HomeRegions regions;
    private final ReadRouting routing;
    private final ObjectMapper json;
    private final ReplicaProperties replicaProps;
    private final int maxLimit;
    private final long maxAnswerBytes;
    private final int maxPrefixBytes;
    private final RequestTokens tokens;
    /** Expiry of scanned values is judged by its wall clock. */
    private final NodeTime time;
    private final AnswerMemory answerMemory;

    public ScanController(NamespaceResolver namespaces, KeyReads reads, ReadRouting routing, ObjectMapper json, RequestTokens tokens,
                          LogKvProperties props, HomeRegions regions, NodeTime time, AnswerMemory answerMemory) {
        this.answerMemory = answerMemory;
        this.time = time;
        this.tokens = tokens;
        this.namespaces = namespaces;
        this.regions = regions;
        this.reads = reads;
        this.routing = routing;
        this.json = json;
        this.replicaProps = props.replicas();
        this.maxLimit = props.replicas().maxBatchKeys();
        this.maxAnswerBytes = props.replicas().maxAnswerBytes().toBytes();
        this.maxPrefixBytes = props.limits().maxKeyBytes();
    }

    @GetMapping(path = "/v1/namespaces/{ns}/keys", produces = MediaType.APPLICATION_JSON_VALUE)
    public CompletableFuture<ResponseEntity<ScanPage>> scan(@PathVariable String ns,
                                                            @RequestParam(required = false) String prefix,
                                                            @RequestParam(required = false) String after,
                                                            @RequestParam(required = false) String limit,
                                                            @RequestParam(required = false) String consistency,
                                                            @RequestParam(name = "wait_ms", required = false) String waitMs,
                                                            @RequestParam(required = false) String partition,
                                                            @RequestParam(name = "value_bytes", required = false) String valueBytes,
                                                            HttpServletRequest request) {
        ServedNamespace namespace = namespaces.resolve(ns);
        byte[] prefixBytes = prefix == null ? new byte[0] : prefix.getBytes(StandardCharsets.UTF_8);
        if (prefixBytes.length > maxPrefixBytes) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_SCAN, "prefix is longer than a key may be (" + maxPrefixBytes + " bytes)");
        }
        byte[] afterKey = continuation(after);
        int pageSize = limit(limit);
        ConsistencyToken token = tokens.of(request, namespace.name());
        String client = Caller.clientOf(request);
        ReadConsistency level = ReadConsistency.parse(consistency, !token.isEmpty());
        Duration wait = CallerDeadline.bound(request, WaitBound.of(waitMs, replicaProps));
        boolean forwarded = request.getHeader(ApiHeaders.FORWARDED_BY) != null;
        int partitions = namespace.settings().partitions();
        long answerBytes = AnswerBytes.bound(valueBytes, forwarded, maxAnswerBytes, ProblemTypes.BAD_SCAN);
        AnswerMemory.Grant grant = answerMemory.of(request);
        if (partition != null) {
            // One partition of a scan another node merges.
            int only = partitionNumber(partition, partitions, forwarded);
            return readHere(namespace, only, prefixBytes, afterKey, pageSize, answerBytes, grant, level, token, wait, true, client)
                    .thenApply(part -> answer(part.items(), part.more() ? lastKey(part.items()) : null, part.token()));
        }
        // Keys spread evenly over the partitions, so a page takes about as many values from each.
        long share = Math.max(1, (answerBytes + partitions - 1) / partitions);
        List<CompletableFuture<Part>> parts = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            int current = p;
            List<String> peers = routing.peersFor(namespace, p, level, forwarded);
            if (peers.isEmpty()) {
                parts.add(readHere(namespace, p, prefixBytes, afterKey, pageSize, share, grant, level, token, wait, forwarded, client));
            } else {
                ForwardedRequest one = ForwardedRequest.of(request, null, FORWARDED_HEADERS);
                String query = "?partition=" + p + "&limit=" + pageSize + "&value_bytes=" + share
                        + "&consistency=" + level.name().toLowerCase(java.util.Locale.ROOT)
                        + (prefix == null ? "" : "&prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8))
                        + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))
                        + (waitMs == null ? "" : "&wait_ms=" + URLEncoder.encode(waitMs, StandardCharsets.UTF_8));
                ForwardedRequest forPartition = new ForwardedRequest("GET", request.getRequestURI() + query, one.headers(), null,
                        one.forwardedBy());
                parts.add(routing.forward(namespace, p, peers, forPartition, wait, level, response -> fromPeer(response, share, grant),
                        left -> readHere(namespace, current, prefixBytes, afterKey, pageSize, share, grant, level, token, left, forwarded,
                                client)));
            }
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<Part> read = parts.stream().map(CompletableFuture::join).toList();
            ConsistencyToken served = token;
            for (Part part : read) {
                served = served.merge(part.token());
            }
            ScanPages.Merged<ScanItem> page = ScanPages.merge(read.stream().map(part -> new ScanPages.Part<>(part.items(), part.more())).toList(),
                    ScanItem::keyBytes, pageSize);
            return answer(page.items(), page.more() ? lastKey(page.items()) : null, served);
        });
    }

    private ResponseEntity<ScanPage> answer(List<ScanItem> items, String next, ConsistencyToken token) {
        String encoded = tokens.text(token);
        return ResponseEntity.ok().header(ApiHeaders.TOKEN, encoded)
                .body(new ScanPage(items.stream().map(ScanItem::item).toList(), next, encoded));
    }

    /**
     * One partition's page, read here: at most {@code maxValueBytes} of values (the store stops there), and of those
     * only what the node's answers have room for in {@code grant} (the first value always): a page cut for room ends
     * at its last value taken, with more to come.
     */
    private CompletableFuture<Part> readHere(ServedNamespace namespace, int partition, byte[] prefix, byte[] after, int limit,
                                             long maxValueBytes, AnswerMemory.Grant grant, ReadConsistency level, ConsistencyToken token,
                                             Duration wait, boolean forwarded, String client) {
        return reads.readyReplica(namespace, partition, level, token, wait, forwarded, client).thenApply(replica -> {
            PartitionReplica.ScannedPage found = replica.scan(prefix, after, limit, maxValueBytes, time.nowMs());
            List<ScanItem> items = new ArrayList<>(found.values().size());
            boolean more = found.more();
            AnswerBytes.Budget budget = new AnswerBytes.Budget(maxValueBytes, grant);
            for (PartitionReplica.ScannedValue value : found.values()) {
                if (!budget.take(value.envelope().value().length)) {
                    more = true;
                    break;
                }
                items.add(new ScanItem(value.key(), BatchItem.of(new String(value.key(), StandardCharsets.UTF_8), value.envelope())));
            }
            return new Part(items, token.merge(regions.token(namespace.name(), new LogPosition(partition, found.position()))), more);
        });
    }

    /**
     * A peer's page of one partition. A peer that does not know {@code value_bytes} (a node of an earlier version,
     * during a rolling upgrade) answers up to the limit of keys: its page is cut here to the partition's share.
     */
    private Part fromPeer(Peers.PeerResponse response, long share, AnswerMemory.Grant grant) {
        if (response.statusCode() != 200) {
            throw ApiProblem.fromPeer(response.statusCode(), response.body(), response.header(HttpHeaders.RETRY_AFTER), json);
        }
        ScanPage page = json.readValue(response.body(), ScanPage.class);
        List<ScanItem> items = new ArrayList<>(page.items().size());
        AnswerBytes.Budget budget = new AnswerBytes.Budget(share, grant);
        for (BatchItem item : page.items()) {
            if (!budget.take(item.valueBytes())) {
                return new Part(items, ConsistencyToken.decodeAll(List.of(page.token())), true);
            }
            items.add(new ScanItem(item.key().getBytes(StandardCharsets.UTF_8), item));
        }
        return new Part(items, ConsistencyToken.decodeAll(List.of(page.token())), page.next() != null);
    }

    private static String lastKey(List<ScanItem> items) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(items.get(items.size() - 1).keyBytes());
    }

    private static byte[] continuation(String after) {
        if (after == null || after.isEmpty()) {
            return null;
        }
        try {
            return Base64.getUrlDecoder().decode(after);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_SCAN, "after must be the next value of a previous page (base64url)");
        }
    }

    private int limit(String limit) {
        if (limit == null) {
            return Math.min(DEFAULT_LIMIT, maxLimit);
        }
        try {
            int value = Integer.parseInt(limit);
            if (value >= 1 && value <= maxLimit) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest(ProblemTypes.BAD_SCAN, "limit must be a whole number from 1 to " + maxLimit);
    }

    private static int partitionNumber(String partition, int partitions, boolean forwarded) {
        if (!forwarded) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_SCAN, "partition is for nodes only (" + ApiHeaders.FORWARDED_BY + ")");
        }
        try {
            int p = Integer.parseInt(partition);
            if (p >= 0 && p < partitions) {
                return p;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest(ProblemTypes.BAD_SCAN, "partition must be from 0 to " + (partitions - 1));
    }

    /**
     * One partition's keys of a page, the token of what was read, and whether the partition may hold more keys after
     * the last of them.
     */
    private record Part(List<ScanItem> items, ConsistencyToken token, boolean more) {
    }

    /** An item with its key's bytes, for merging in byte order. */
    private record ScanItem(byte[] keyBytes, BatchItem item) {
    }

    /**
     * A page of a scan.
     *
     * @param items the live keys, in key order, with their values (as a batch-get's items)
     * @param next  the continuation ({@code after} of the next page), or absent on the last page
     * @param token the positions the keys were read at, merged with the request's tokens
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ScanPage(List<BatchItem> items, String next, String token) {
    }
}
