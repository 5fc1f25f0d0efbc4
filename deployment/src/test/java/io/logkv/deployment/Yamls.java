package io.logkv.deployment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Walking parsed YAML (maps, lists, scalars) with paths like {@code "spec.template.spec"}. */
final class Yamls {

    private Yamls() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
        if (!(node instanceof Map<?, ?>)) {
            throw new AssertionError("expected a mapping, found " + node);
        }
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node) {
        if (!(node instanceof List<?>)) {
            throw new AssertionError("expected a sequence, found " + node);
        }
        return (List<Object>) node;
    }

    /** The node at a dotted path of mapping keys; fails naming the path when a step is missing. */
    static Object at(Map<String, Object> root, String path) {
        Object node = root;
        for (String key : path.split("\\.")) {
            if (!(node instanceof Map<?, ?> map) || !map.containsKey(key)) {
                throw new AssertionError("no " + path + " (missing '" + key + "') in " + root);
            }
            node = map.get(key);
        }
        return node;
    }

    static Map<String, Object> mapAt(Map<String, Object> root, String path) {
        return map(at(root, path));
    }

    static List<Object> listAt(Map<String, Object> root, String path) {
        return list(at(root, path));
    }

    static String stringAt(Map<String, Object> root, String path) {
        return String.valueOf(at(root, path));
    }

    /**
     * Nested mappings as dotted property names ({@code logkv: {writer: {session-timeout: 5s}}} becomes
     * {@code logkv.writer.session-timeout=5s}), list items as {@code name[i]}, as Spring reads a YAML file.
     */
    static Map<String, Object> flatten(Map<String, Object> nested) {
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", nested, flat);
        return flat;
    }

    private static void flatten(String prefix, Object node, Map<String, Object> flat) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> flatten(prefix.isEmpty() ? String.valueOf(key) : prefix + "." + key, value, flat));
        } else if (node instanceof List<?> list) {
            List<Object> items = new ArrayList<>(list);
            for (int i = 0; i < items.size(); i++) {
                flatten(prefix + "[" + i + "]", items.get(i), flat);
            }
        } else {
            flat.put(prefix, node);
        }
    }
}
