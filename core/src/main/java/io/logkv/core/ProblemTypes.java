package io.logkv.core;

/**
 * The problem types of LogKV's RFC 9457 answers (docs/api.md), named once for the nodes, the client and
 * the tools. A type is sent as the relative URI {@code /problems/<type>}; a node recognises a peer's answer by
 * its type, never by the words of its detail.
 */
public final class ProblemTypes {

    /** Where problem types live: a type's URI is this prefix and its name. */
    public static final String URI_PREFIX = "/problems/";

    /** A request the node cannot parse (parameters, headers, a refused URL). */
    public static final String BAD_REQUEST = "bad-request";

    /** A body of a media type the resource does not take. */
    public static final String BAD_CONTENT_TYPE = "bad-content-type";

    /** A key that breaks the key rules (empty, malformed percent-encoding). */
    public static final String BAD_KEY = "bad-key";

    /** A key longer than {@code logkv.limits.max-key-bytes}. */
    public static final String KEY_TOO_LONG = "key-too-long";

    /** A value larger than {@code logkv.limits.max-value-bytes}. */
    public static final String VALUE_TOO_LARGE = "value-too-large";

    /** A consistency token that is malformed, forged, altered or unsigned. */
    public static final String BAD_TOKEN = "bad-token";

    /** A time to live that is not a duration. */
    public static final String BAD_TTL = "bad-ttl";

    /** A consistency level LogKV does not know. */
    public static final String BAD_CONSISTENCY = "bad-consistency";

    /** A {@code wait_ms} that is not a whole number of milliseconds in range. */
    public static final String BAD_WAIT = "bad-wait";

    /** An {@code If-Match} or {@code If-None-Match} LogKV cannot evaluate. */
    public static final String BAD_CONDITION = "bad-condition";

    /** An {@code Idempotency-Key} that is too long or malformed. */
    public static final String BAD_IDEMPOTENCY_KEY = "bad-idempotency-key";

    /** A batch-get body that is not a list of keys. */
    public static final String BAD_BATCH = "bad-batch";

    /** A batch-get of more keys than a batch may hold. */
    public static final String TOO_MANY_KEYS = "too-many-keys";

    /** A scan with a malformed prefix, cursor or limit. */
    public static final String BAD_SCAN = "bad-scan";

    /** A watch start ({@code Last-Event-ID}, token) that names no position of the namespace. */
    public static final String BAD_POSITION = "bad-position";

    /** A watch start the log no longer holds (compacted or deleted past it). */
    public static final String POSITION_PASSED = "position-passed";

    /** A namespace name that breaks the naming rules. */
    public static final String BAD_NAMESPACE = "bad-namespace";

    /** Namespace settings out of range. */
    public static final String BAD_NAMESPACE_SETTINGS = "bad-namespace-settings";

    /** A rebuild source LogKV does not know. */
    public static final String BAD_REBUILD_SOURCE = "bad-rebuild-source";

    /** Between nodes: a batch of forwarded reads that is malformed. */
    public static final String BAD_FORWARDED_READS = "bad-forwarded-reads";

    /** Between nodes: a time left that is not a whole number of milliseconds. */
    public static final String BAD_TIME_LEFT = "bad-time-left";

    /** No credentials, or none the node accepts. */
    public static final String UNAUTHENTICATED = "unauthenticated";

    /** A caller without the right. */
    public static final String FORBIDDEN = "forbidden";

    /** Internal headers without a node's MAC. */
    public static final String NOT_A_NODE = "not-a-node";

    /** No resource at that path. */
    public static final String NOT_FOUND = "not-found";

    /** No namespace of that name. */
    public static final String NAMESPACE_NOT_FOUND = "namespace-not-found";

    /** No value under that key (never written, deleted or expired). */
    public static final String KEY_NOT_FOUND = "key-not-found";

    /** No partition of that number in the namespace. */
    public static final String PARTITION_NOT_FOUND = "partition-not-found";

    /** A namespace that exists with other settings, or is being deleted. */
    public static final String NAMESPACE_CONFLICT = "namespace-conflict";

    /** A replica that cannot be wiped because this node owns its partition. */
    public static final String PARTITION_OWNED_HERE = "partition-owned-here";

    /** A write whose condition failed; the answer carries the current ETag. */
    public static final String PRECONDITION_FAILED = "precondition-failed";

    /** A write, strong read or settings change outside the namespace's home region. */
    public static final String NOT_HOME_REGION = "not-home-region";

    /** A client or namespace over its rate. */
    public static final String OVER_QUOTA = "over-quota";

    /** More reads waiting for a position than a client, namespace or node may hold. */
    public static final String TOO_MANY_WAITING_READS = "too-many-waiting-reads";
    /** A client or a namespace holds as many change streams on the node as it may (429). */
    public static final String TOO_MANY_WATCHES = "too-many-watches";

    /** A read whose replica did not reach the position asked for within its wait. */
    public static final String NOT_CAUGHT_UP = "not-caught-up";

    /** A node that cannot take the request now. */
    public static final String OVERLOADED = "overloaded";

    /** No replica of the key's partition can answer (none placed, opening, or unreachable). */
    public static final String REPLICA_UNAVAILABLE = "replica-unavailable";

    /** A write whose partition has no owner within its time. */
    public static final String NO_OWNER = "no-owner";

    /** Between nodes: the node a write was forwarded to does not own its partition (any more). */
    public static final String NOT_OWNER = "not-owner";

    /** A write whose owner did not answer within its time. */
    public static final String OWNER_UNREACHABLE = "owner-unreachable";

    /** A write forwarded to the home region that did not answer within its time. */
    public static final String HOME_UNREACHABLE = "home-unreachable";

    /** A write Kafka refused; it was not applied. */
    public static final String WRITE_FAILED = "write-failed";

    /** A write whose commit did not complete; it may still have been applied. */
    public static final String WRITE_OUTCOME_UNKNOWN = "write-outcome-unknown";

    /** Kafka did not answer. */
    public static final String LOG_UNAVAILABLE = "log-unavailable";

    /** A namespace whose truth topic breaks the settings LogKV requires; not served. */
    public static final String UNSAFE_NAMESPACE = "unsafe-namespace";

    /** A snapshot operation on a node without a snapshot store. */
    public static final String NO_SNAPSHOT_STORE = "no-snapshot-store";

    /** A failure the node did not expect; it is logged. */
    public static final String INTERNAL = "internal";

    private ProblemTypes() {
    }

    /** The relative URI of a problem type. */
    public static String uri(String type) {
        return URI_PREFIX + type;
    }

    /** The type named by a problem's {@code type} member: its last segment, or the member itself without the prefix. */
    public static String ofUri(String uri) {
        if (uri == null) {
            return null;
        }
        return uri.startsWith(URI_PREFIX) ? uri.substring(URI_PREFIX.length()) : uri.substring(uri.lastIndexOf('/') + 1);
    }
}
