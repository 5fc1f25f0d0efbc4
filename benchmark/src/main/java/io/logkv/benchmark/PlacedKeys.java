package io.logkv.benchmark;

import io.logkv.core.KeyPartitioner;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keys chosen by where they live, for the forwarding cases of {@code bench/http/run.sh}: from one node's
 * point of view (its topology, {@code GET /v1/namespaces/{ns}}), keys it serves from its own replica, keys
 * of partitions it holds no replica of (reads are forwarded), keys of partitions it owns (writes are local)
 * and keys of partitions another node owns (writes are forwarded). Writes one file of keys per set; the two
 * sets of a comparison span the same number of partitions.
 *
 * <pre>PlacedKeys URL NAMESPACE OUT_DIR KEYS_PER_SET</pre>
 * Prints the partitions of each set; a set that no partition fits stays empty (e.g. a single node).
 */
public final class PlacedKeys {

    private PlacedKeys() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String url = args[0];
        String namespace = args[1];
        Path out = Path.of(args[2]);
        int perSet = Integer.parseInt(args[3]);
        HttpResponse<String> described = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(url + "/v1/namespaces/" + namespace)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (described.statusCode() != 200) {
            throw new IllegalStateException("GET /v1/namespaces/" + namespace + " answered " + described.statusCode());
        }
        ObjectMapper json = JsonMapper.builder().build();
        JsonNode root = json.readTree(described.body());
        int partitions = root.path("partitions").asInt();
        Set<Integer> replicatedHere = new HashSet<>();
        Set<Integer> replicatedElsewhereOnly = new HashSet<>();
        Set<Integer> ownedHere = new HashSet<>();
        Set<Integer> ownedElsewhere = new HashSet<>();
        for (JsonNode partition : root.path("topology")) {
            int p = partition.path("partition").asInt();
            boolean here = false;
            for (JsonNode replica : partition.path("replicas")) {
                here |= url.equals(replica.path("node").asString());
            }
            (here ? replicatedHere : replicatedElsewhereOnly).add(p);
            String owner = partition.path("owner").asString("");
            if (url.equals(owner)) {
                ownedHere.add(p);
            } else if (!owner.isEmpty()) {
                ownedElsewhere.add(p);
            }
        }
        // The same number of partitions on both sides of a comparison: a write's cost depends on how many
        // partitions (so transactions) share the load, and a comparison of 2 against 4 would measure that.
        trimToSameSize(replicatedHere, replicatedElsewhereOnly);
        trimToSameSize(ownedHere, ownedElsewhere);
        Files.createDirectories(out);
        write(out.resolve("read-local.keys"), "rl-", replicatedHere, partitions, perSet);
        write(out.resolve("read-forwarded.keys"), "rf-", replicatedElsewhereOnly, partitions, perSet);
        write(out.resolve("write-local.keys"), "wl-", ownedHere, partitions, perSet);
        write(out.resolve("write-forwarded.keys"), "wf-", ownedElsewhere, partitions, perSet);
        System.out.printf("read-local partitions=%s read-forwarded partitions=%s write-local partitions=%s write-forwarded partitions=%s%n",
                replicatedHere, replicatedElsewhereOnly, ownedHere, ownedElsewhere);
    }

    private static void trimToSameSize(Set<Integer> a, Set<Integer> b) {
        int size = Math.min(a.size(), b.size());
        if (size > 0) {
            a.retainAll(a.stream().sorted().limit(size).toList());
            b.retainAll(b.stream().sorted().limit(size).toList());
        }
    }

    private static void write(Path file, String prefix, Set<Integer> wanted, int partitions, int count) throws IOException {
        List<String> keys = new ArrayList<>();
        for (int i = 0; !wanted.isEmpty() && keys.size() < count; i++) {
            String key = prefix + i;
            if (wanted.contains(KeyPartitioner.partitionOf(key.getBytes(StandardCharsets.UTF_8), partitions))) {
                keys.add(key);
            }
        }
        Files.write(file, keys);
    }
}
