package io.logkv.mirror;

import io.logkv.core.NamespaceName;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which namespaces a mirror carries: a fixed list, or every namespace whose name matches a pattern (found
 * among the source cluster's truth topics, {@code logkv.truth.<ns>}, at every rescan).
 *
 * @param listed  the namespaces named one by one; empty when a pattern selects
 * @param pattern the names selected when nothing is listed
 */
public record NamespaceSelection(List<NamespaceName> listed, Pattern pattern) {

    public NamespaceSelection {
        listed = List.copyOf(listed);
        if (listed.isEmpty() == (pattern == null)) {
            throw new IllegalArgumentException("select namespaces either by a list or by a pattern");
        }
    }

    /** These namespaces, and no other. */
    public static NamespaceSelection of(Collection<String> names) {
        return new NamespaceSelection(names.stream().map(NamespaceName::new).toList(), null);
    }

    /** Every namespace whose whole name matches {@code regex}. */
    public static NamespaceSelection matching(String regex) {
        return new NamespaceSelection(List.of(), Pattern.compile(regex));
    }

    /** The truth topics, among a cluster's topic names, of the namespaces selected; sorted. */
    public List<String> truthTopicsAmong(Collection<String> topics) {
        return topics.stream()
                .filter(NamespaceName::isTruthTopic)
                .map(NamespaceName::ofTopic)
                .filter(Objects::nonNull)
                .filter(this::selects)
                .map(NamespaceName::truthTopic)
                .sorted()
                .toList();
    }

    boolean selects(NamespaceName namespace) {
        return pattern == null ? listed.contains(namespace) : pattern.matcher(namespace.value()).matches();
    }

    @Override
    public String toString() {
        return pattern == null ? listed.toString() : "/" + pattern + "/";
    }
}
