package io.logkv.query.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.logkv.core.ApiHeaders;
import io.logkv.core.ConsistencyToken;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.KeyRules;
import io.logkv.core.ProblemTypes;
import io.logkv.query.admission.AnswerMemory;
import io.logkv.query.admission.QuotaBuckets;
import io.logkv.query.admission.Refusals;
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
import io.logkv.query.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code POST /v1/namespaces/{ns}/batch-get}: reads many keys with the consistency options of a single
 * read. Keys are grouped by partition; each group is read from this node's replica or forwarded, as one
 * request, to a node holding one. Either every key read is answered at the requested consistency or the
 * whole request fails (503 when a replica cannot catch up in time), never a mix with stale values.
 *
 * <p>The values of an answer fit in {@code logkv.replicas.max-answer-bytes}, shared among the partitions in
 * proportion to their keys (each part answers at least one key, so a client asking again always moves on). The keys
 * left out are listed in the answer's {@code unread}, in request order, and held in memory no longer than it takes
 * to see they do not fit.
 */
@RestController
public class BatchGetController {

    private static final List<String> FORWARDED_HEADERS = List.of(ApiHeaders.TOKEN, HttpHeaders.CONTENT_TYPE);

    private final NamespaceResolver namespaces;
    private final KeyReads reads;
    private final ReadRouting routing;
    private final ObjectMapper json;
    private final KeyRules keyRules;
    private final ReplicaProperties replicaProps;
    private final int maxKeys;
    private final long maxAnswerBytes;
    private final int maxBodyBytes;
    private final RequestTokens tokens;
    private final QuotaBuckets quotas;
    private final Refusals refusals;
    private final AnswerMemory answerMemory;

    public BatchGetController(NamespaceResolver namespaces, KeyReads reads, ReadRouting routing, ObjectMapper json, RequestTokens tokens,
                              LogKvProperties props, QuotaBuckets quotas, Refusals refusals, AnswerMemory answerMemory) {
        this.answerMemory = answerMemory;
        this.quotas = quotas;
        this.refusals = refusals;
        this.namespaces = namespaces;
        this.reads = reads;
        this.routing = routing;
        this.json = json;
        this.tokens = tokens;
        this.keyRules = new KeyRules(props.limits().maxKeyBytes());
        this.replicaProps = props.replicas();
        this.maxKeys = props.replicas().maxBatchKeys();
        this.maxAnswerBytes = props.replicas().maxAnswerBytes().toBytes();
        // Each key quoted, every byte of it a six-character escape at worst, with its comma; and the object around them.
        this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE - 1, (long) maxKeys * (6L * props.limits().maxKeyBytes() + 3) + 1024);
    }

    @PostMapping(path = "/v1/namespaces/{ns}/batch-get", produces = MediaType.APPLICATION_JSON_VALUE)
    public CompletableFuture<ResponseEntity<BatchGetResult>> batchGet(@PathVariable String ns,
                                                                      @RequestParam(required = false) String consistency,
                                                                      @RequestParam(name = "wait_ms", required = false) String waitMs,
                                                                      @RequestParam(name = "value_bytes", required = false) String valueBytes,
                                                                      HttpServletRequest request)
            throws IOException, HttpMediaTypeNotSupportedException {
        ServedNamespace namespace = namespaces.resolve(ns);
        BatchGetRequest body = body(request);
        List<byte[]> keys = keys(body);
        ConsistencyToken token = tokens.of(request, namespace.name());
        String client = Caller.clientOf(request);
        ReadConsistency level = ReadConsistency.parse(consistency, !token.isEmpty());
        Duration wait = CallerDeadline.bound(request, WaitBound.of(waitMs, replicaProps));
        boolean forwarded = request.getHeader(ApiHeaders.FORWARDED_BY) != null;
        chargeFurtherKeys(client, ns, keys.size(), forwarded);
        long answerBytes = AnswerBytes.bound(valueBytes, forwarded, maxAnswerBytes, ProblemTypes.BAD_BATCH);
        AnswerMemory.Grant grant = answerMemory.of(request);
        ForwardedRequest forwardable = ForwardedRequest.of(request, null, FORWARDED_HEADERS);

        Map<Integer, List<Integer>> byPartition = new TreeMap<>();
        for (int i = 0; i < keys.size(); i++) {
            byPartition.computeIfAbsent(KeyPartitioner.partitionOf(keys.get(i), namespace.settings().partitions()), p -> new ArrayList<>()).add(i);
        }
        List<CompletableFuture<Part>> parts = new ArrayList<>();
        byPartition.forEach((partition, indexes) -> {
            // Keys spread over the partitions as the hash puts them; each part's share is its keys' share of the whole.
            long share = Math.max(1, (long) Math.ceil((double) answerBytes * indexes.size() / keys.size()));
            Function<Duration, CompletableFuture<Part>> local = left -> readHere(namespace, keys, indexes, share, grant, level, token,
                    left, forwarded, client);
            List<String> peers = routing.peersFor(namespace, partition, level, forwarded);
            parts.add(peers.isEmpty() ? local.apply(wait)
                    : routing.forward(namespace, partition, peers, forwardable.withBody(subBatch(body, indexes)).withQuery("value_bytes", share),
                            wait, level, response -> fromPeer(response, keys, indexes, share, grant), local));
        });
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            BatchItem[] items = new BatchItem[keys.size()];
            ConsistencyToken served = token;
            long lag = 0;
            for (CompletableFuture<Part> future : parts) {
                Part part = future.join();
                for (int i = 0; i < part.indexes().size(); i++) {
                    items[part.indexes().get(i)] = part.items().get(i);
                }
                served = served.merge(part.token());
                lag = Math.max(lag, part.lagMs());
            }
            List<BatchItem> answered = new ArrayList<>(items.length);
            List<String> unread = new ArrayList<>();
            for (int i = 0; i < items.length; i++) {
                if (items[i] == null) {
                    unread.add(body.keys().get(i));
                } else {
                    answered.add(items[i]);
                }
            }
            String encoded = tokens.text(served);
            return ResponseEntity.ok()
                    .header(ApiHeaders.TOKEN, encoded)
                    .header(ApiHeaders.REPLICA_LAG_MS, Long.toString(lag))
                    .body(new BatchGetResult(answered, encoded, unread.isEmpty() ? null : unread));
        });
    }

    /**
     * The request was charged one read of the namespace before it was served (QuotaGate): each further key is one
     * more, so that a batch of reads spends a rate as its reads one by one would.
     */
    private void chargeFurtherKeys(String client, String ns, int keys, boolean forwarded) {
        if (keys > 1 && !forwarded && quotas.enabled()) {
            QuotaBuckets.Refusal refusal = quotas.charge(client, ns, QuotaBuckets.Operation.READ, keys - 1);
            if (refusal != null) {
                throw refusals.overQuota(refusal);
            }
        }
    }

    /**
     * The request's JSON body (null when there is none), read up to the most a batch-get can need: its most keys, each
     * of the longest and every byte escaped. A body beyond that is refused before it is read when it declares its
     * length, and once that much of it has come when it does not (chunked), so no body makes the node hold more.
     */
    private BatchGetRequest body(HttpServletRequest request) throws IOException, HttpMediaTypeNotSupportedException {
        if (request.getContentLengthLong() > maxBodyBytes) {
            throw bodyTooLarge();
        }
        byte[] bytes;
        try (InputStream in = request.getInputStream()) {
            bytes = in.readNBytes(maxBodyBytes + 1);
        }
        if (bytes.length > maxBodyBytes) {
            throw bodyTooLarge();
        }
        if (bytes.length == 0) {
            return null;
        }
        MediaType type;
        try {
            type = request.getContentType() == null ? MediaType.APPLICATION_OCTET_STREAM : MediaType.parseMediaType(request.getContentType());
        } catch (InvalidMediaTypeException e) {
            type = MediaType.APPLICATION_OCTET_STREAM;
        }
        if (!MediaType.APPLICATION_JSON.isCompatibleWith(type)) {
            throw new HttpMediaTypeNotSupportedException(type, List.of(MediaType.APPLICATION_JSON));
        }
        try {
            return json.readValue(bytes, BatchGetRequest.class);
        } catch (JacksonException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_BATCH, "the body must be a JSON object with a \"keys\" array of strings: "
                    + e.getOriginalMessage());
        }
    }

    private ApiProblem bodyTooLarge() {
        return new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, ProblemTypes.VALUE_TOO_LARGE, "Request too large",
                "a batch-get's body is at most " + maxBodyBytes + " bytes (" + maxKeys + " keys)");
    }

    private List<byte[]> keys(BatchGetRequest body) {
        if (body == null || body.keys() == null) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_BATCH, "the body must be a JSON object with a \"keys\" array of strings");
        }
        if (body.keys().size() > maxKeys) {
            throw ApiProblem.badRequest(ProblemTypes.TOO_MANY_KEYS, "a batch-get reads at most " + maxKeys + " keys, not " + body.keys().size());
        }
        List<byte[]> keys = new ArrayList<>(body.keys().size());
        for (String key : body.keys()) {
            if (key == null) {
                throw ApiProblem.badRequest(ProblemTypes.BAD_KEY, "keys must be strings, not null");
            }
            try {
                keys.add(keyRules.check(key.getBytes(StandardCharsets.UTF_8)));
            } catch (KeyRules.IllegalKeyException e) {
                throw ApiProblem.badRequest(e.tooLong() ? ProblemTypes.KEY_TOO_LONG : ProblemTypes.BAD_KEY, e.getMessage());
            }
        }
        return keys;
    }

    /**
     * Reads the keys at {@code indexes} here. Each value is kept, as its item, only while the part's values fit in
     * {@code share} and the node's answers have room for it in {@code grant} (the first one read always): one that does not is let go as soon as it is read, and its key
     * is left unread (a null item).
     */
    private CompletableFuture<Part> readHere(ServedNamespace namespace, List<byte[]> keys, List<Integer> indexes, long share,
                                             AnswerMemory.Grant grant, ReadConsistency level, ConsistencyToken token, Duration wait, boolean forwarded,
                                             String client) {
        AnswerBytes.Budget budget = new AnswerBytes.Budget(share, grant);
        List<CompletableFuture<Read>> readsOfKeys = indexes.stream()
                .map(i -> reads.read(namespace, keys.get(i), level, token, wait, forwarded, client).thenApply(read -> {
                    int size = read.envelope() == null ? 0 : read.envelope().value().length;
                    BatchItem item = budget.take(size)
                            ? BatchItem.of(new String(keys.get(i), StandardCharsets.UTF_8), read.envelope()) : null;
                    return new Read(item, read.token(), read.lagMs());
                })).toList();
        return CompletableFuture.allOf(readsOfKeys.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<BatchItem> items = new ArrayList<>(indexes.size());
            ConsistencyToken served = token;
            long lag = 0;
            for (CompletableFuture<Read> future : readsOfKeys) {
                Read read = future.join();
                items.add(read.item());
                served = served.merge(read.token());
                lag = Math.max(lag, read.lagMs());
            }
            return new Part(indexes, items, served, lag);
        });
    }

    /** A key read here: its item, or null when its value did not fit; the position and lag it was read at. */
    private record Read(BatchItem item, ConsistencyToken token, long lagMs) {
    }

    private byte[] subBatch(BatchGetRequest body, List<Integer> indexes) {
        return json.writeValueAsBytes(new BatchGetRequest(indexes.stream().map(body.keys()::get).toList()));
    }

    /**
     * A peer's answer for the keys at {@code indexes}: its items in request order, each key it left unread skipped
     * (null). A peer that does not know {@code value_bytes} (a node of an earlier version, during a rolling upgrade)
     * answers every key: its items are cut here to the part's share.
     */
    private Part fromPeer(Peers.PeerResponse response, List<byte[]> keys, List<Integer> indexes, long share, AnswerMemory.Grant grant) {
        if (response.statusCode() != 200) {
            throw ApiProblem.fromPeer(response.statusCode(), response.body(), response.header(HttpHeaders.RETRY_AFTER), json);
        }
        BatchGetResult result = json.readValue(response.body(), BatchGetResult.class);
        int unread = result.unread() == null ? 0 : result.unread().size();
        if (result.items() == null || result.items().size() + unread != indexes.size()) {
            throw badAnswer("a replica answered a batch-get with the wrong number of items");
        }
        AnswerBytes.Budget budget = new AnswerBytes.Budget(share, grant);
        List<BatchItem> items = new ArrayList<>(indexes.size());
        int next = 0;
        for (int index : indexes) {
            BatchItem item = next < result.items().size() ? result.items().get(next) : null;
            if (item != null && item.key() != null && Arrays.equals(keys.get(index), item.key().getBytes(StandardCharsets.UTF_8))) {
                next++;
                items.add(budget.take(item.valueBytes()) ? item : null);
            } else {
                items.add(null);
            }
        }
        if (next != result.items().size()) {
            throw badAnswer("a replica answered a batch-get with items of keys it was not asked for");
        }
        long lag = response.header(ApiHeaders.REPLICA_LAG_MS).map(Long::parseLong).orElse(0L);
        return new Part(indexes, items, ConsistencyToken.decodeAll(List.of(result.token())), lag);
    }


    /** A peer's answer that does not fit the request: the part tries the partition's next replica. */
    private static ApiProblem badAnswer(String detail) {
        return ApiProblem.unavailable(ProblemTypes.REPLICA_UNAVAILABLE, "Bad answer from a replica", detail, Duration.ofSeconds(1));
    }

    private record Part(List<Integer> indexes, List<BatchItem> items, ConsistencyToken token, long lagMs) {
    }

    /**
     * The body of a batch-get.
     *
     * @param keys the keys to read, as UTF-8 text (the same rules as a key in a URL)
     */
    public record BatchGetRequest(List<String> keys) {
    }

    /**
     * The answer of a batch-get: one item per requested key, in request order, but for the keys whose values did not
     * fit in the answer ({@code logkv.replicas.max-answer-bytes}): those are listed in {@code unread}, to be asked for again.
     *
     * @param items  the keys' values
     * @param token  the position the reads were served at, merged with the request's token
     * @param unread the keys not read, in request order; absent when every key was
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BatchGetResult(List<BatchItem> items, String token, List<String> unread) {
    }
}
