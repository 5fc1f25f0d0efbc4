package io.logkv.local;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bin/logkv rebuild}: wipes a node's replicas of a namespace (or of one partition) and replays them
 * from the log, showing the replay's progress until it is done, then compares the rebuilt replicas'
 * digests with their peers'.
 */
@Command(name = "rebuild",
        description = {
            "Wipes a LogKV node's replicas of a namespace (or of one partition) and rebuilds them from the Kafka log,",
            "showing progress (records, MB/s, % done); then checks that the rebuilt replicas equal their peers."})
final class RebuildCommand implements Callable<Integer> {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int BAR_WIDTH = 30;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--url", defaultValue = "http://localhost:8080", paramLabel = "URL",
            description = "The node whose replicas to rebuild (default: ${DEFAULT-VALUE}).")
    String url;

    @picocli.CommandLine.Mixin
    ApiKeyOption credentials;

    @Option(names = "--partition", paramLabel = "N", description = "Rebuild only this partition (default: every replica the node holds).")
    Integer partition;

    @Option(names = "--from-snapshot", description = {"Seed the replicas from the newest usable snapshot in the node's snapshot store",
            "and replay only the log after it (a full replay, with the reason, when there is none)."})
    boolean fromSnapshot;

    @Option(names = "--no-verify", description = "Do not compare the rebuilt replicas' digests with their peers' afterwards.")
    boolean noVerify;

    @Option(names = "--timeout", defaultValue = "PT1H", paramLabel = "DURATION",
            description = "Give up waiting after this long, ISO-8601 (default: ${DEFAULT-VALUE}); the rebuild itself goes on.")
    Duration timeout;

    @Parameters(index = "0", paramLabel = "NAMESPACE", description = "The namespace.")
    String namespace;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String base = url.replaceAll("/+$", "");
        String path = partition == null ? "/v1/admin/namespaces/" + namespace + "/rebuild"
                : "/v1/admin/namespaces/" + namespace + "/partitions/" + partition + "/rebuild";
        if (fromSnapshot) {
            path += "?from=snapshot";
        }
        HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.noBody()));
        if (started.statusCode() != 202) {
            err.println("rebuild refused (" + started.statusCode() + "): " + detail(started.body()));
            return 1;
        }
        Set<Integer> partitions = new HashSet<>();
        JsonNode body = JSON.readTree(started.body());
        if (partition != null) {
            partitions.add(partition);
        } else {
            body.path("rebuilds").forEach(r -> partitions.add(r.path("partition").asInt()));
            JsonNode skipped = body.path("skippedOwnedPartitions");
            if (!skipped.isEmpty()) {
                out.println("skipped partitions this node owns as writer (it checks conditions against them): " + skipped);
            }
        }
        if (partitions.isEmpty()) {
            out.println("the node holds no replica of " + namespace + " to rebuild");
            return 0;
        }
        out.println("rebuilding " + namespace + " partitions " + partitions + " on " + base);
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean done = false;
        while (!done) {
            if (System.nanoTime() > deadline) {
                out.println();
                err.println("gave up waiting after " + timeout + "; the rebuild goes on (GET " + base + "/v1/admin/rebuilds)");
                return 1;
            }
            Thread.sleep(500);
            JsonNode rebuilds = JSON.readTree(send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/rebuilds")).GET()).body()).path("rebuilds");
            long target = 0;
            long applied = 0;
            long records = 0;
            double megabytesPerSecond = 0;
            done = true;
            for (JsonNode r : rebuilds) {
                if (!r.path("namespace").asString().equals(namespace) || !partitions.contains(r.path("partition").asInt())) {
                    continue;
                }
                if (r.path("state").asString().equals("failed")) {
                    out.println();
                    err.println("rebuild of partition " + r.path("partition").asInt() + " failed: " + r.path("failure").asString());
                    return 1;
                }
                done &= r.path("state").asString().equals("done");
                target += r.path("targetPosition").asLong();
                applied += Math.min(r.path("appliedPosition").asLong(), r.path("targetPosition").asLong());
                records += r.path("records").asLong();
                megabytesPerSecond += r.path("megabytesPerSecond").asDouble();
            }
            double percent = target == 0 ? 100 : 100.0 * applied / target;
            int filled = (int) Math.round(percent / 100 * BAR_WIDTH);
            out.printf(Locale.ROOT, "\r[%s%s] %5.1f%%  %,d records  %.1f MB/s ", "#".repeat(filled), " ".repeat(BAR_WIDTH - filled),
                    percent, records, megabytesPerSecond);
        }
        out.println();
        out.println("rebuild done");
        JsonNode held = JSON.readTree(send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/replicas")).GET()).body()).path("replicas");
        for (JsonNode r : held) {
            if (r.path("namespace").asString().equals(namespace) && partitions.contains(r.path("partition").asInt())) {
                out.printf(Locale.ROOT, "partition %d: %s%n", r.path("partition").asInt(), r.path("origin").asString());
            }
        }
        if (noVerify) {
            return 0;
        }
        boolean agree = true;
        for (int p : partitions) {
            JsonNode comparison = JSON.readTree(send(HttpRequest.newBuilder(URI.create(
                    base + "/v1/admin/namespaces/" + namespace + "/partitions/" + p + "/digests?wait_ms=10000")).GET()).body());
            String status = comparison.path("status").asString();
            out.printf(Locale.ROOT, "partition %d at position %d: replicas %s%n", p, comparison.path("position").asLong(), status);
            agree &= status.equals("agree");
        }
        return agree ? 0 : 1;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(credentials.applyTo(request).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String detail(String body) {
        try {
            return JSON.readTree(body).path("detail").asString(body);
        } catch (RuntimeException e) {
            return body;
        }
    }
}
