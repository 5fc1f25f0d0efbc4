package io.logkv.core;

import java.util.List;

/**
 * The HTTP headers LogKV defines, named once for the nodes, the client and the tools: those of its API
 * (docs/api.md) and those only nodes send each other.
 */
public final class ApiHeaders {

    /** A consistency token: sent with session reads, returned by every answer that has one. */
    public static final String TOKEN = "KV-Token";
    /** On an eventual read: how far behind the log the replica that answered was, in milliseconds. */
    public static final String REPLICA_LAG_MS = "KV-Replica-Lag-Ms";
    /** On a read of a key with a time to live: when it expires (RFC 3339). */
    public static final String EXPIRES_AT = "KV-Expires-At";
    /** Names the node whose replica answered a read. */
    public static final String SERVED_BY = "KV-Served-By";
    /**
     * On a read another node answered: the base URLs of the nodes placed to hold the key's partition, so a
     * client that can route sends the next read there and skips the hop.
     */
    public static final String REPLICAS = "KV-Replicas";
    /** On a write another node took: the base URL of the partition's owner, for the same reason. */
    public static final String OWNER = "KV-Owner";
    /** On a write refused outside the namespace's home region: the home region's name. */
    public static final String HOME_REGION = "KV-Home-Region";
    /** With {@link #HOME_REGION}, where the home region is reached, when the node knows it. */
    public static final String HOME_URL = "KV-Home-Url";
    /** Makes a write's retries apply it once. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** Between nodes: marks a forwarded request, naming the node that forwarded it. */
    public static final String FORWARDED_BY = "KV-Forwarded-By";
    /** Between nodes: the caller of a forwarded request, its name percent-encoded, then its grants. */
    public static final String CALLER = "KV-Caller";
    /** Between nodes: the forwarding node's time left for the request, in milliseconds. */
    public static final String TIME_LEFT_MS = "KV-Time-Left-Ms";
    /** Between nodes: the forwarding node's deadline for the request, in epoch milliseconds. */
    public static final String DEADLINE_EPOCH_MS = "KV-Deadline-Epoch-Ms";
    /** Between nodes: the forwarding node's MAC over the request. */
    public static final String NODE_MAC = "KV-Node-Mac";
    /** Between regions: on a write a node passed to its namespace's home region, the region it came from. */
    public static final String FROM_REGION = "KV-From-Region";

    /** Headers only a node may send: a client's request carrying one without a valid MAC is refused. */
    public static final List<String> NODE_ONLY = List.of(FORWARDED_BY, CALLER, TIME_LEFT_MS, DEADLINE_EPOCH_MS, NODE_MAC);

    private ApiHeaders() {
    }
}
