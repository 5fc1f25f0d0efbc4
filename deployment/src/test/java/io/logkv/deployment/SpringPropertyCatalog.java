package io.logkv.deployment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every configuration property the node's classpath declares (Spring Boot's and the node's own
 * {@code META-INF/spring-configuration-metadata.json}), to catch a misspelt Spring property in a
 * deployment file, which Spring would otherwise ignore.
 */
final class SpringPropertyCatalog {

    private final Set<String> names = new HashSet<>();
    private final Set<String> mapPrefixes = new HashSet<>();

    SpringPropertyCatalog() {
        JsonMapper json = JsonMapper.builder().build();
        try {
            for (String resource : new String[] {"META-INF/spring-configuration-metadata.json",
                    "META-INF/additional-spring-configuration-metadata.json"}) {
                for (URL url : Collections.list(getClass().getClassLoader().getResources(resource))) {
                    try (InputStream in = url.openStream()) {
                        JsonNode properties = json.readTree(in).path("properties");
                        for (JsonNode property : properties) {
                            String name = property.path("name").asString();
                            names.add(name);
                            if (property.path("type").asString("").startsWith("java.util.Map")) {
                                mapPrefixes.add(name + ".");
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (names.isEmpty()) {
            throw new IllegalStateException("no Spring configuration metadata on the classpath");
        }
    }

    /** Whether {@code name} is a declared property, or a key of a declared map property. */
    boolean knows(String name) {
        return names.contains(name) || mapPrefixes.stream().anyMatch(name::startsWith);
    }
}
