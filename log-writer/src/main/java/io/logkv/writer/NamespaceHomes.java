package io.logkv.writer;

import io.logkv.core.NamespaceName;
import io.logkv.core.RegionName;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Whether this region takes a namespace's writes, as the namespace registry says when read to its end. A new
 * owner asks after it has fenced every earlier writer of its partition and before it writes: a promotion of
 * another region writes the registry first and fences this region's writers second, so an owner that takes
 * the transactional id after the fence reads the registry past the promotion and does not write, and an
 * owner that took it before is fenced (docs/adr/0020-promotion-of-another-region.md).
 */
@FunctionalInterface
public interface NamespaceHomes {

    /**
     * Completes with whether {@code namespace}'s home is this region, by the registry read at least up to the
     * end that {@code registryEnd} finds (asked now); exceptionally when that cannot be known in time.
     */
    CompletableFuture<Boolean> homeHere(NamespaceName namespace, Supplier<CompletableFuture<Long>> registryEnd);

    /** Every namespace is written where its owner runs: no registry is asked (a writer without regions). */
    static NamespaceHomes everywhere() {
        return (namespace, registryEnd) -> CompletableFuture.completedFuture(true);
    }

    /**
     * The homes the registry names, as {@code catalog} reads it, for a node of {@code region} (null: a region
     * without a name, home of every namespace its registry holds without another home). A namespace the
     * registry no longer holds is not written either.
     *
     * @param maxWait how long a new owner waits for the catalog to read the registry to its end
     */
    static NamespaceHomes of(NamespaceCatalog catalog, RegionName region, Duration maxWait) {
        return (namespace, registryEnd) -> registryEnd.get()
                .thenCompose(end -> catalog.awaitPosition(end, maxWait))
                .thenApply(reached -> {
                    if (!reached) {
                        throw new WriteFailedException("the namespace registry could not be read to its end within "
                                + maxWait.toMillis() + " ms", null, false);
                    }
                    return catalog.settings(namespace).map(settings -> !settings.homeElsewhere(region)).orElse(false);
                });
    }
}
