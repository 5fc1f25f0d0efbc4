package io.logkv.deployment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Command lines of {@code bin/logkv node}: its own options, then {@code --}, then Spring arguments. */
final class SpringArguments {

    private SpringArguments() {
    }

    /** {@code --name=value} arguments as properties ({@code --flag} alone is {@code true}). */
    static Map<String, String> properties(List<String> arguments) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String argument : arguments) {
            if (!argument.startsWith("--") || argument.equals("--")) {
                continue;
            }
            int equals = argument.indexOf('=');
            if (equals < 0) {
                properties.put(argument.substring(2), "true");
            } else {
                properties.put(argument.substring(2, equals), argument.substring(equals + 1));
            }
        }
        return properties;
    }

    /** The node command's own options: everything before a bare {@code --}. */
    static List<String> nodeOptions(List<String> commandLine) {
        int separator = commandLine.indexOf("--");
        return new ArrayList<>(separator < 0 ? commandLine : commandLine.subList(0, separator));
    }

    /** The Spring arguments: everything after a bare {@code --}. */
    static List<String> springArguments(List<String> commandLine) {
        int separator = commandLine.indexOf("--");
        return separator < 0 ? List.of() : new ArrayList<>(commandLine.subList(separator + 1, commandLine.size()));
    }
}
