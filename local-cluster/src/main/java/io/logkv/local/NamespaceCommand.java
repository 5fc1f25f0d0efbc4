package io.logkv.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bin/logkv ns list|create|describe|delete}: namespaces from the command line. Human output by
 * default, {@code --json} for the API's answer as it is; exit codes as the key commands'.
 */
@Command(name = "ns", description = "List, create, describe or delete namespaces.")
final class NamespaceCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @Parameters(index = "0", paramLabel = "ACTION", description = "list, create, describe or delete.")
    String action;

    @Parameters(index = "1", paramLabel = "NAME", arity = "0..1", description = "The namespace (not for list).")
    String name;

    @Option(names = "--url", defaultValue = "${LOGKV_URL:-http://localhost:8080}", description = "A LogKV node (default: $LOGKV_URL, else ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--partitions", description = "create: partitions of the namespace's truth topic.")
    Integer partitions;

    @Option(names = "--default-ttl", description = "create: time to live of writes that name none (90s, 2h, 0 for none).")
    String defaultTtl;

    @Option(names = "--json", description = "Print the API's JSON answer.")
    boolean json;

    @picocli.CommandLine.Mixin
    ApiKeyOption credentials;

    @Override
    public Integer call() throws InterruptedException {
        if (!action.equals("list") && name == null) {
            System.err.println("logkv: ns " + action + " needs a NAME");
            return KeyCommands.USAGE;
        }
        HttpRequest.Builder request;
        switch (action) {
            case "list" -> request = HttpRequest.newBuilder(URI.create(url + "/v1/namespaces")).GET();
            case "describe" -> request = HttpRequest.newBuilder(URI.create(url + "/v1/namespaces/" + name)).GET();
            case "delete" -> request = HttpRequest.newBuilder(URI.create(url + "/v1/namespaces/" + name)).DELETE();
            case "create" -> {
                Map<String, Object> body = new LinkedHashMap<>();
                if (partitions != null) {
                    body.put("partitions", partitions);
                }
                if (defaultTtl != null) {
                    body.put("defaultTtl", defaultTtl);
                }
                request = HttpRequest.newBuilder(URI.create(url + "/v1/namespaces/" + name)).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            }
            default -> {
                System.err.println("logkv: ns ACTION is list, create, describe or delete, not " + action);
                return KeyCommands.USAGE;
            }
        }
        HttpResponse<String> answer;
        try {
            answer = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()
                    .send(credentials.applyTo(request).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            System.err.println("logkv: no answer from " + url + ": " + e);
            return KeyCommands.FAILED;
        }
        if (answer.statusCode() == 404) {
            System.err.println("logkv: no namespace '" + name + "'");
            return KeyCommands.NOT_FOUND;
        }
        if (answer.statusCode() >= 300) {
            System.err.println("logkv: " + answer.statusCode() + " " + answer.body());
            return KeyCommands.FAILED;
        }
        if (json || answer.body().isEmpty()) {
            if (!answer.body().isEmpty()) {
                System.out.println(answer.body());
            }
            return 0;
        }
        JsonNode body = JSON.readTree(answer.body());
        if (action.equals("list")) {
            for (JsonNode ns : body.path("namespaces")) {
                System.out.println(ns.path("name").asString() + "\t" + ns.path("partitions").asInt() + " partitions"
                        + (ns.path("defaultTtlSeconds").asLong() > 0 ? "\tttl " + ns.path("defaultTtlSeconds").asLong() + "s" : ""));
            }
        } else {
            System.out.println(body.path("name").asString() + "\t" + body.path("partitions").asInt() + " partitions"
                    + (body.path("defaultTtlSeconds").asLong() > 0 ? "\tttl " + body.path("defaultTtlSeconds").asLong() + "s" : ""));
            for (JsonNode partition : body.path("topology")) {
                System.out.println("  partition " + partition.path("partition").asInt() + "\towner " + partition.path("owner").asString("-"));
            }
        }
        return 0;
    }
}
