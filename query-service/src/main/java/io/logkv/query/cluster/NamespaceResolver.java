package io.logkv.query.cluster;

import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.ProblemTypes;
import io.logkv.query.problem.ApiProblem;
import io.logkv.writer.NamespaceCatalog;
import java.time.Duration;
import org.springframework.stereotype.Component;

/** Turns the {@code {ns}} of a request into a served namespace, or the problem that says why not. */
@Component
public class NamespaceResolver {

    private final NamespaceCatalog catalog;
    private final UnsafeNamespaces unsafe;

    public NamespaceResolver(NamespaceCatalog catalog, UnsafeNamespaces unsafe) {
        this.catalog = catalog;
        this.unsafe = unsafe;
    }

    /** The namespace's name and settings; 404 when it does not exist, 503 when this node will not serve it. */
    public ServedNamespace resolve(String name) {
        if (!NamespaceName.isLegal(name)) {
            throw ApiProblem.namespaceNotFound(name);
        }
        NamespaceName namespace = new NamespaceName(name);
        NamespaceSettings settings = catalog.settings(namespace).orElseThrow(() -> ApiProblem.namespaceNotFound(name));
        if (unsafe.contains(namespace)) {
            throw ApiProblem.unavailable(ProblemTypes.UNSAFE_NAMESPACE, "Namespace not served",
                    "this node does not serve '" + name + "': its truth topic could lose acknowledged writes, or it is a copy of"
                            + " another region's and this node's region has no name; see the node's log", Duration.ofSeconds(30));
        }
        return new ServedNamespace(namespace, settings);
    }

    /**
     * A namespace this node serves.
     *
     * @param name     its name
     * @param settings its settings
     */
    public record ServedNamespace(NamespaceName name, NamespaceSettings settings) {
    }
}
