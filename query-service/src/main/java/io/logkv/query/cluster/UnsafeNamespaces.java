package io.logkv.query.cluster;

import io.logkv.core.NamespaceName;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The namespaces this node does not serve: their truth topic failed its safety check (it could lose
 * acknowledged writes), or they are another region's copy on a node without a region name. The node's startup
 * decides, as the registry changes; every request to such a namespace is answered {@code 503 unsafe-namespace}.
 * Thread-safe.
 */
public final class UnsafeNamespaces {

    private final Set<NamespaceName> unsafe = ConcurrentHashMap.newKeySet();

    /** Stops serving the namespace. */
    public void add(NamespaceName namespace) {
        unsafe.add(namespace);
    }

    /** Serves the namespace again (its topic passed the check, or it was deleted). */
    public void remove(NamespaceName namespace) {
        unsafe.remove(namespace);
    }

    public boolean contains(NamespaceName namespace) {
        return unsafe.contains(namespace);
    }
}
