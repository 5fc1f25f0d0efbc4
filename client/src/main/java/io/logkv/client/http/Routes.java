package io.logkv.client.http;

import io.logkv.core.KeyPartitioner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Where each key's requests go: the namespace's topology ({@code GET /v1/namespaces/{ns}}: the partition
 * count, every partition's owner and the nodes placed to hold it), fetched from any node and kept for
 * {@code refresh}; learnt again sooner when an answer says it took a hop or a node did not answer. Until a
 * namespace's topology is known, and for nodes that cannot be reached, requests go to the configured nodes
 * in turn: any node answers any request by forwarding it.
 *
 * <p>A namespace whose home is another region (its writes and strong reads were refused with {@code 421}
 * naming it) has those sent to the home region's URL first, for {@code refresh}; reads at other levels stay
 * with the nodes at hand, which serve the namespace's copy.
 */
final class Routes {

    private final HttpClient http;
    private final ObjectMapper json;
    private final List<String> seeds;
    private final Duration refresh;
    private final Duration requestTimeout;
    private final Map<String, Topology> topologies = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<?>> fetching = new ConcurrentHashMap<>();
    private final Map<String, Home> homes = new ConcurrentHashMap<>();
    private final AtomicInteger turn = new AtomicInteger();

    private final Credentials credentials;

    Routes(HttpClient http, ObjectMapper json, List<String> seeds, Duration refresh, Duration requestTimeout, Credentials credentials) {
        this.credentials = credentials;
        this.http = http;
        this.json = json;
        this.seeds = List.copyOf(seeds);
        this.refresh = refresh;
        this.requestTimeout = requestTimeout;
    }

    /** The nodes to send a write of {@code key} to, best first: its partition's owner, then every node. */
    List<String> forWrite(String namespace, byte[] key) {
        Topology topology = current(namespace);
        List<String> nodes = new ArrayList<>();
        addHome(namespace, nodes);
        if (topology != null) {
            String owner = topology.owners()[KeyPartitioner.partitionOf(key, topology.owners().length)];
            if (owner != null) {
                nodes.add(owner);
            }
        }
        addSeeds(nodes);
        return nodes;
    }

    /**
     * The nodes to send a read of {@code key} to, best first: its partition's replicas in turn, then every node;
     * for a {@code strong} read, the namespace's home region before them when it is another.
     */
    List<String> forRead(String namespace, byte[] key, boolean strong) {
        Topology topology = current(namespace);
        List<String> nodes = new ArrayList<>();
        if (strong) {
            addHome(namespace, nodes);
        }
        if (topology != null) {
            List<String> replicas = topology.replicas().get(KeyPartitioner.partitionOf(key, topology.owners().length));
            int start = Math.floorMod(turn.getAndIncrement(), Math.max(1, replicas.size()));
            for (int i = 0; i < replicas.size(); i++) {
                nodes.add(replicas.get((start + i) % replicas.size()));
            }
        }
        addSeeds(nodes);
        return nodes;
    }

    /** Any node, in turn. */
    List<String> any() {
        List<String> nodes = new ArrayList<>();
        addSeeds(nodes);
        return nodes;
    }

    /** Records that the namespace's home is the region at {@code url} (a node there took the request on). */
    void home(String namespace, String url) {
        homes.put(namespace, new Home(url, System.nanoTime()));
    }

    private void addHome(String namespace, List<String> nodes) {
        Home home = homes.get(namespace);
        if (home == null) {
            return;
        }
        if (System.nanoTime() - home.learntAtNanos() > refresh.toNanos()) {
            // The home may have moved back (a promotion): the region at hand says so, or names it again.
            homes.remove(namespace, home);
            return;
        }
        nodes.add(home.url());
    }

    /** Forgets what is known of a namespace's topology: an answer showed it has changed. */
    void stale(String namespace) {
        Topology topology = topologies.get(namespace);
        if (topology != null) {
            topologies.put(namespace, new Topology(topology.owners(), topology.replicas(), 0));
        }
    }

    /** The topology if known; starts fetching it when it is unknown or old. */
    private Topology current(String namespace) {
        Topology topology = topologies.get(namespace);
        if (topology == null || System.nanoTime() - topology.fetchedAtNanos() > refresh.toNanos()) {
            fetching.computeIfAbsent(namespace, ns -> fetch(ns).whenComplete((done, error) -> fetching.remove(ns)));
        }
        return topology;
    }

    private CompletableFuture<Void> fetch(String namespace) {
        String node = any().get(0);
        HttpRequest request = credentials.applyTo(HttpRequest.newBuilder(URI.create(node + "/v1/namespaces/" + LogKvClient.segment(namespace))))
                .timeout(requestTimeout).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenAccept(response -> {
            if (response.statusCode() == 200) {
                Topology parsed = parse(new String(response.body(), StandardCharsets.UTF_8));
                if (parsed != null) {
                    topologies.put(namespace, parsed);
                }
            }
        }).exceptionally(unreachable -> null);
    }

    private Topology parse(String body) {
        JsonNode root = json.readTree(body);
        int partitions = root.path("partitions").asInt(0);
        if (partitions < 1) {
            return null;
        }
        String[] owners = new String[partitions];
        List<List<String>> replicas = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            replicas.add(new ArrayList<>());
        }
        for (JsonNode partition : root.path("topology")) {
            int p = partition.path("partition").asInt(-1);
            if (p < 0 || p >= partitions) {
                continue;
            }
            String owner = partition.path("owner").asString(null);
            owners[p] = owner == null || owner.isEmpty() ? null : owner;
            for (JsonNode replica : partition.path("replicas")) {
                String node = replica.path("node").asString("");
                boolean serving = replica.path("state").path("serving").asBoolean(false);
                if (!node.isEmpty() && serving) {
                    replicas.get(p).add(node);
                }
            }
        }
        return new Topology(owners, replicas.stream().map(List::copyOf).toList(), System.nanoTime());
    }

    private void addSeeds(List<String> nodes) {
        int start = Math.floorMod(turn.getAndIncrement(), seeds.size());
        for (int i = 0; i < seeds.size(); i++) {
            String seed = seeds.get((start + i) % seeds.size());
            if (!nodes.contains(seed)) {
                nodes.add(seed);
            }
        }
    }

    /** Where a namespace's home region was last named, and when. */
    private record Home(String url, long learntAtNanos) {
    }

    /** A namespace's topology: per partition its owner (or null) and the nodes that serve it. */
    private record Topology(String[] owners, List<List<String>> replicas, long fetchedAtNanos) {
    }
}
