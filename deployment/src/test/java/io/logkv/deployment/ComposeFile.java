package io.logkv.deployment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** docker-compose.yml, parsed: its services, with accessors for what the tests look at. */
record ComposeFile(Map<String, Object> document) {

    static final String FILE = "docker-compose.yml";

    static ComposeFile load() {
        return new ComposeFile(RepositoryFiles.yaml(FILE));
    }

    Map<String, Object> services() {
        return Yamls.mapAt(document, "services");
    }

    Service service(String name) {
        if (!services().containsKey(name)) {
            throw new AssertionError(FILE + " has no service " + name + "; it has " + services().keySet());
        }
        return new Service(name, Yamls.map(services().get(name)));
    }

    /** The services whose image starts with {@code imagePrefix}, by name. */
    List<Service> servicesWithImage(String imagePrefix) {
        List<Service> matching = new ArrayList<>();
        for (String name : services().keySet()) {
            Service service = service(name);
            if (service.image().startsWith(imagePrefix)) {
                matching.add(service);
            }
        }
        return matching;
    }

    LogKvNode node(String name) {
        return new LogKvNode(service(name));
    }

    /** One service of the file. */
    record Service(String name, Map<String, Object> definition) {

        String image() {
            return String.valueOf(definition.getOrDefault("image", ""));
        }

        String hostname() {
            return String.valueOf(definition.getOrDefault("hostname", name));
        }

        /** Environment variables, whether written as a mapping or as NAME=value items. */
        Map<String, String> environment() {
            Object environment = definition.get("environment");
            Map<String, String> variables = new LinkedHashMap<>();
            if (environment instanceof Map<?, ?> map) {
                map.forEach((key, value) -> variables.put(String.valueOf(key), String.valueOf(value)));
            } else if (environment instanceof List<?> list) {
                for (Object item : list) {
                    String[] parts = String.valueOf(item).split("=", 2);
                    variables.put(parts[0], parts.length > 1 ? parts[1] : "");
                }
            }
            return variables;
        }

        List<String> command() {
            Object command = definition.get("command");
            if (command == null) {
                return List.of();
            }
            if (command instanceof List<?> list) {
                return list.stream().map(String::valueOf).toList();
            }
            throw new AssertionError(name + ": write command as a list, so that arguments need no shell quoting: " + command);
        }

        /** Services this one depends on, with their condition ({@code service_started} when not given). */
        Map<String, String> dependsOn() {
            Object dependsOn = definition.get("depends_on");
            Map<String, String> conditions = new LinkedHashMap<>();
            if (dependsOn instanceof List<?> list) {
                list.forEach(service -> conditions.put(String.valueOf(service), "service_started"));
            } else if (dependsOn instanceof Map<?, ?> map) {
                map.forEach((service, settings) -> conditions.put(String.valueOf(service),
                        settings instanceof Map<?, ?> s && s.get("condition") != null
                                ? String.valueOf(s.get("condition")) : "service_started"));
            }
            return conditions;
        }

        /** Published ports as host port → container port ({@code "8081:8080"}). */
        Map<Integer, Integer> publishedPorts() {
            Map<Integer, Integer> ports = new LinkedHashMap<>();
            Object declared = definition.get("ports");
            if (declared instanceof List<?> list) {
                for (Object port : list) {
                    String[] parts = String.valueOf(port).split(":");
                    if (parts.length < 2) {
                        throw new AssertionError(name + ": publish ports as HOST:CONTAINER, not " + port);
                    }
                    ports.put(Integer.parseInt(parts[parts.length - 2]), Integer.parseInt(parts[parts.length - 1]));
                }
            }
            return ports;
        }

        /** Volume mounts as target → source ({@code "logkv-1-data:/var/lib/logkv"}). */
        Map<String, String> volumes() {
            Map<String, String> mounts = new LinkedHashMap<>();
            Object declared = definition.get("volumes");
            if (declared instanceof List<?> list) {
                for (Object volume : list) {
                    String[] parts = String.valueOf(volume).split(":");
                    mounts.put(parts[1], parts[0]);
                }
            }
            return mounts;
        }

        String healthcheck() {
            Object healthcheck = definition.get("healthcheck");
            if (!(healthcheck instanceof Map<?, ?> map) || map.get("test") == null) {
                return "";
            }
            Object test = map.get("test");
            return test instanceof List<?> list ? String.join(" ", list.stream().map(String::valueOf).toList()) : String.valueOf(test);
        }
    }

    /** A LogKV node service: {@code bin/logkv node} with options, then {@code --} and Spring arguments. */
    record LogKvNode(Service service) {

        Map<String, String> options() {
            return SpringArguments.properties(SpringArguments.nodeOptions(service.command()));
        }

        String option(String name) {
            String value = options().get(name);
            if (value == null) {
                throw new AssertionError(service.name() + " gives no --" + name + " in its command " + service.command());
            }
            return value;
        }

        List<String> springArguments() {
            return SpringArguments.springArguments(service.command());
        }

        Set<String> bootstrapServers() {
            return new TreeSet<>(List.of(option("bootstrap-servers").split(",")));
        }
    }
}
