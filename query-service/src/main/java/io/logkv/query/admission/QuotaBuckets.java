package io.logkv.query.admission;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.logkv.query.config.QuotaProperties;
import io.logkv.query.config.QuotaProperties.Rates;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The token buckets of every client's and every namespace's reads and writes (Bucket4j, ADR 0016): a request
 * takes a token from its client's bucket and from its namespace's, and is refused when either is empty, so
 * that a client or a namespace over its rate is refused while the others' requests pass. Buckets refill
 * smoothly at the rate and hold at most {@code rate × burst} tokens.
 *
 * <p>Buckets are kept in two caches bounded by {@code logkv.quotas.max-tracked} (clients, namespaces): however
 * many names callers make up, memory stays bounded; a bucket that leaves the cache comes back full. A holder
 * without a rate has no bucket at all, and with every rate off (the default) nothing is looked up.
 */
public final class QuotaBuckets {

    /** What a request does, as far as quotas go. */
    public enum Operation { READ, WRITE }

    /** Whose rate refused a request. */
    public enum Scope { CLIENT, NAMESPACE }

    /**
     * A charge refused.
     *
     * @param scope          whose rate it was
     * @param holder         the client's or the namespace's name
     * @param operation      reads or writes
     * @param perSecond      the rate
     * @param retryAfterNanos how long until the charge would pass
     */
    public record Refusal(Scope scope, String holder, Operation operation, long perSecond, long retryAfterNanos) {

        /** The wait in whole seconds, rounded up, at least 1 (the unit of {@code Retry-After}). */
        public long retryAfterSeconds() {
            return Math.max(1, (retryAfterNanos + 999_999_999L) / 1_000_000_000L);
        }
    }

    private static final Duration DEFAULT_BURST = Duration.ofSeconds(1);

    private final Limits clientDefault;
    private final Limits namespaceDefault;
    private final Map<String, Limits> clientLimits = new HashMap<>();
    private final Map<String, Limits> namespaceLimits = new HashMap<>();
    private final Cache<String, Buckets> clients;
    private final Cache<String, Buckets> namespaces;
    private final Function<String, Buckets> newClient;
    private final Function<String, Buckets> newNamespace;
    private final TimeMeter time;
    private final boolean enabled;

    /**
     * @param time the clock buckets refill by ({@link TimeMeter#SYSTEM_NANOTIME} in a node; tests move their own)
     */
    public QuotaBuckets(QuotaProperties quotas, TimeMeter time) {
        this.time = time;
        this.clientDefault = Limits.of(quotas.client(), Limits.NONE);
        this.namespaceDefault = Limits.of(quotas.namespace(), Limits.NONE);
        quotas.clients().forEach((name, rates) -> clientLimits.put(name, Limits.of(rates, clientDefault)));
        quotas.namespaces().forEach((name, rates) -> namespaceLimits.put(name, Limits.of(rates, namespaceDefault)));
        this.enabled = clientDefault.any() || namespaceDefault.any()
                || clientLimits.values().stream().anyMatch(Limits::any) || namespaceLimits.values().stream().anyMatch(Limits::any);
        int maxTracked = Math.max(1, quotas.maxTracked());
        this.clients = Caffeine.newBuilder().maximumSize(maxTracked).build();
        this.namespaces = Caffeine.newBuilder().maximumSize(maxTracked).build();
        this.newClient = name -> buckets(limitsOfClient(name));
        this.newNamespace = name -> buckets(limitsOfNamespace(name));
    }

    /** Whether any rate is set: when none is, requests need not be looked at. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Takes {@code count} tokens (at most a full bucket's) from the client's and from the namespace's bucket of
     * the operation.
     *
     * @return null when both had them; otherwise the refusal, and neither bucket gives anything
     */
    public Refusal charge(String client, String namespace, Operation operation, long count) {
        Limits clientRates = limitsOfClient(client);
        Bucket ofClient = bucket(clients, client, clientRates, newClient, operation);
        long fromClient = Math.min(count, clientRates.capacity(operation));
        if (ofClient != null && !ofClient.tryConsume(fromClient)) {
            return refusal(Scope.CLIENT, client, operation, clientRates, ofClient, fromClient);
        }
        Limits namespaceRates = limitsOfNamespace(namespace);
        Bucket ofNamespace = bucket(namespaces, namespace, namespaceRates, newNamespace, operation);
        long fromNamespace = Math.min(count, namespaceRates.capacity(operation));
        if (ofNamespace != null && !ofNamespace.tryConsume(fromNamespace)) {
            if (ofClient != null) {
                ofClient.addTokens(fromClient); // the client gets back what the namespace did not let it spend
            }
            return refusal(Scope.NAMESPACE, namespace, operation, namespaceRates, ofNamespace, fromNamespace);
        }
        return null;
    }

    /** How many clients' buckets are kept now (after pending evictions). */
    long trackedClients() {
        clients.cleanUp();
        return clients.estimatedSize();
    }

    private Limits limitsOfClient(String client) {
        Limits limits = clientLimits.get(client);
        return limits == null ? clientDefault : limits;
    }

    private Limits limitsOfNamespace(String namespace) {
        Limits limits = namespaceLimits.get(namespace);
        return limits == null ? namespaceDefault : limits;
    }

    private static Bucket bucket(Cache<String, Buckets> cache, String holder, Limits limits, Function<String, Buckets> create,
                                 Operation operation) {
        if (holder == null || limits.perSecond(operation) == 0) {
            return null;
        }
        Buckets buckets = cache.get(holder, create);
        return operation == Operation.READ ? buckets.reads() : buckets.writes();
    }

    private Refusal refusal(Scope scope, String holder, Operation operation, Limits limits, Bucket bucket, long count) {
        long waitNanos = bucket.estimateAbilityToConsume(count).getNanosToWaitForRefill();
        return new Refusal(scope, holder, operation, limits.perSecond(operation), waitNanos);
    }

    private Buckets buckets(Limits limits) {
        return new Buckets(newBucket(limits.reads(), limits.burst()), newBucket(limits.writes(), limits.burst()));
    }

    private Bucket newBucket(long perSecond, Duration burst) {
        if (perSecond == 0) {
            return null;
        }
        long capacity = Limits.capacity(perSecond, burst);
        // Synchronized rather than lock-free: the lock-free bucket copies its state on every attempt, and a
        // client's bucket is rarely contended.
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(perSecond, Duration.ofSeconds(1)))
                .withCustomTimePrecision(time)
                .withSynchronizationStrategy(SynchronizationStrategy.SYNCHRONIZED)
                .build();
    }

    /** A client's or a namespace's buckets: null for an operation without a rate. */
    private record Buckets(Bucket reads, Bucket writes) {
    }

    /** Rates once resolved: 0 for no limit. */
    private record Limits(long reads, long writes, Duration burst) {

        static final Limits NONE = new Limits(0, 0, DEFAULT_BURST);

        /** The rates given, with what they leave unset taken from {@code defaults}. */
        static Limits of(Rates rates, Limits defaults) {
            if (rates == null) {
                return defaults;
            }
            long reads = rates.readsPerSecond() == null ? defaults.reads() : checked(rates.readsPerSecond(), "reads-per-second");
            long writes = rates.writesPerSecond() == null ? defaults.writes() : checked(rates.writesPerSecond(), "writes-per-second");
            Duration burst = rates.burst() == null ? defaults.burst() : rates.burst();
            if (burst.isNegative() || burst.isZero()) {
                throw new IllegalArgumentException("logkv.quotas: a burst must be longer than 0, not " + burst);
            }
            return new Limits(reads, writes, burst);
        }

        private static long checked(long perSecond, String name) {
            if (perSecond < 0) {
                throw new IllegalArgumentException("logkv.quotas: " + name + " must be 0 (no limit) or more, not " + perSecond);
            }
            return perSecond;
        }

        boolean any() {
            return reads > 0 || writes > 0;
        }

        long perSecond(Operation operation) {
            return operation == Operation.READ ? reads : writes;
        }

        long capacity(Operation operation) {
            return capacity(perSecond(operation), burst);
        }

        static long capacity(long perSecond, Duration burst) {
            double tokens = Math.ceil(perSecond * (burst.toNanos() / 1e9));
            return Math.max(1, tokens >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) tokens);
        }
    }
}
