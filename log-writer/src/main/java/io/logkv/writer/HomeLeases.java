package io.logkv.writer;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceName;
import java.util.Optional;

/**
 * Whether this node may acknowledge writes to a namespace now, as far as the home leases go
 * (docs/adr/0020-promotion-of-another-region.md, "Home leases"). A region holding a copy of a namespace may be
 * promoted to its home while this region is cut off; the promotion waits until every lease its region granted has
 * run out, so this region never acknowledges a write once the other may take them. Every batch asks twice: before
 * it is sent (a refused batch is not sent) and after its commit, before its writes are answered (a refused batch's
 * writes answer that their outcome is unknown).
 */
@FunctionalInterface
public interface HomeLeases {

    /**
     * Why writes to {@code namespace} may not be acknowledged now, said for a client; empty when they may. Cheap:
     * asked on the write path, from any thread.
     */
    Optional<String> refusal(NamespaceName namespace);

    /**
     * Why this node cannot tell the home leases of any namespace now (its view of the registry is too old, or not
     * read yet): a refusal that passes by itself, so writes wait for it within their deadlines instead of failing.
     * Empty when it can tell; {@link #refusal} includes it.
     */
    default Optional<String> unknown() {
        return Optional.empty();
    }

    /** No leases: every write may be acknowledged (a writer without regions). */
    static HomeLeases none() {
        return namespace -> Optional.empty();
    }

    /**
     * The leases the registry holds as {@code catalog} reads it: a write may be acknowledged only while the catalog's
     * view is at most {@link NamespaceCatalog#maxViewAge()} old (by its clocks, {@link NamespaceCatalog#time()}), and
     * every lease it holds on the namespace {@linkplain HomeLease#holdsAt holds} at the wall clock's now.
     */
    static HomeLeases of(NamespaceCatalog catalog) {
        return new RegistryHomeLeases(catalog.view(), catalog.time(), catalog.maxViewAge());
    }
}
