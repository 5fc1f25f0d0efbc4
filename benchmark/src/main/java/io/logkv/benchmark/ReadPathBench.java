package io.logkv.benchmark;

import io.logkv.core.NamespaceName;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;

/**
 * The read path against its floors: eventual GETs over HTTP at their maximum (closed loop) and at fixed
 * fractions of it (open loop, timed from the intended send), beside an empty handler in the same server
 * stack, raw RocksDB gets on the same replica stores, and Redis; then how soon a write is readable with
 * its token.
 */
final class ReadPathBench {

    static final String SECTION = "read";
    static final String AFTER_WRITE = "read-after-write";
    static final String LOGKV = "LogKV GET, eventual";
    static final String EMPTY = "empty HTTP handler, same stack (baseline)";
    static final String EMPTY_ASYNC = "empty HTTP handler returning a CompletableFuture";
    static final String ROCKSDB = "raw RocksDB get, in-process (PartitionStore)";
    static final String REDIS_GET = "Redis GET (redis-benchmark)";
    static final String REDIS_SET = "Redis SET (redis-benchmark)";
    static final String SESSION = "PUT ack → session GET with its token sees it";
    static final String MIX = "LogKV 95% GET / 5% PUT, Zipf-skewed keys (s=0.99)";
    private static final double ZIPF_EXPONENT = 0.99;
    private static final int MIX_WRITE_PERCENT = 5;
    private static final NamespaceName NAMESPACE = new NamespaceName("bench-read");
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(10);

    private final BenchSettings settings;
    private final String bootstrapServers;
    private final Admin admin;
    private final BenchResults results;
    private final BenchProgress progress;
    private final ClosedLoop closedLoop;
    private final OpenLoop openLoop;
    private final byte[] value;

    ReadPathBench(BenchSettings settings, String bootstrapServers, Admin admin, BenchResults results, BenchProgress progress) {
        this.settings = settings;
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
        this.results = results;
        this.progress = progress;
        this.closedLoop = new ClosedLoop(settings.warmUp(), settings.measure());
        this.openLoop = new OpenLoop(settings.warmUp(), settings.measure());
        this.value = Values.of(settings.valueBytes(), 11);
    }

    static int plannedSteps(BenchSettings settings) {
        // closed loops (LogKV, empty, empty async, the Zipf mix), open loops, read-after-write, raw RocksDB, Redis
        int perRepeat = 4 + 2 * settings.rateFractions().size() + 1 + (settings.url() == null ? 1 : 0) + 2;
        return perRepeat * settings.repeats();
    }

    void run() throws IOException, InterruptedException {
        Path dataDir = settings.workDir().resolve("bench-reader");
        if (settings.url() != null) {
            measureNode(new HttpKeys(settings.url()), () -> { });
        } else {
            MemoryReport before = MemoryReport.now();
            progress.say("starting LogKV node bench-reader");
            try (BenchNode node = BenchNode.start("bench-reader", bootstrapServers, dataDir)) {
                measureNode(new HttpKeys(node.baseUrl()), () -> reportMemory(before, node));
            }
            // The node is stopped, so its stores can be opened here: the same data, no HTTP, no Spring.
            try (RawRocksDbGets raw = new RawRocksDbGets(dataDir, NAMESPACE, settings.partitions())) {
                for (int run = 1; run <= settings.repeats(); run++) {
                    String load = clientsLoad();
                    results.add(SECTION, ROCKSDB, load, null, CaseFigures.Ratio.THROUGHPUT,
                            progress.report(ROCKSDB + ", " + load + ", run " + run,
                                    closedLoop.run(settings.readClients(), (c, s) -> raw.get(randomKey()))));
                }
            }
        }
        measureRedis();
    }

    private void measureNode(HttpKeys keys, Runnable afterLoad) throws IOException, InterruptedException {
        load(keys);
        afterLoad.run();
        try (EmptyHandlerServer empty = new EmptyHandlerServer(value)) {
            HttpKeys emptyKeys = new HttpKeys(empty.baseUrl());
            String ns = NAMESPACE.value();
            // Not counted: the JIT compiles both HTTP paths before the first timed run.
            progress.say("warm-up (not counted): GETs of LogKV and of the empty handler");
            closedLoop.run(settings.readClients(), (c, s) -> keys.get(ns, randomKey()));
            closedLoop.run(settings.readClients(), (c, s) -> emptyKeys.getPath("/empty/" + randomKey()));
            for (int run = 1; run <= settings.repeats(); run++) {
                String load = clientsLoad();
                RunSample logkvMax = closed(LOGKV, load, EMPTY, run, (c, s) -> keys.get(ns, randomKey()));
                RunSample emptyMax = closed(EMPTY, load, null, run, (c, s) -> emptyKeys.getPath("/empty/" + randomKey()));
                closed(EMPTY_ASYNC, load, EMPTY, run, (c, s) -> emptyKeys.getPath("/empty-async/" + randomKey()));
                ZipfKeys zipf = new ZipfKeys(settings.keys(), ZIPF_EXPONENT);
                closed(MIX, load, LOGKV, run, (c, s) -> {
                    String key = keyName(zipf.next());
                    if (ThreadLocalRandom.current().nextInt(100) < MIX_WRITE_PERCENT) {
                        keys.put(ns, key, value, false);
                    } else {
                        keys.get(ns, key);
                    }
                });
                for (double fraction : settings.rateFractions()) {
                    String rateLoad = String.format(Locale.ROOT, "%.0f%% of its max, open loop", fraction * 100);
                    open(LOGKV, rateLoad, EMPTY, run, fraction * logkvMax.opsPerSecond(), (c, s) -> keys.get(ns, randomKey()));
                    open(EMPTY, rateLoad, null, run, fraction * emptyMax.opsPerSecond(),
                            (c, s) -> emptyKeys.getPath("/empty/" + randomKey()));
                }
                measureReadAfterWrite(keys, run);
            }
        }
    }

    /** Heap after GC and resident memory the node added to the JVM once its data set was loaded. */
    private void reportMemory(MemoryReport before, BenchNode node) {
        MemoryReport after = MemoryReport.now();
        MemoryReport added = after.minus(before);
        long cache = node.bean(io.logkv.materializer.LocalReplicas.class).blockCacheUsage();
        String text = String.format(Locale.ROOT, "Memory with %,d keys of %d bytes loaded: the node added %s of heap after GC "
                        + "and %s of resident memory to the JVM (whole JVM with the brokers: heap %s, resident %s); "
                        + "RocksDB block cache with memtables %s (bounded by logkv.replicas.block-cache).",
                settings.keys(), settings.valueBytes(), MemoryReport.mib(added.heapAfterGcBytes()), MemoryReport.mib(added.residentBytes()),
                MemoryReport.mib(after.heapAfterGcBytes()), MemoryReport.mib(after.residentBytes()), MemoryReport.mib(cache));
        progress.say(text);
        results.note(text);
    }

    private RunSample closed(String name, String load, String baseline, int run, ClosedLoop.Operation operation) {
        RunSample sample = closedLoop.run(settings.readClients(), operation);
        results.add(SECTION, name, load, baseline, CaseFigures.Ratio.THROUGHPUT, progress.report(name + ", " + load + ", run " + run, sample));
        return sample;
    }

    private void open(String name, String load, String baseline, int run, double perSecond,
                      ClosedLoop.Operation operation) {
        RunSample sample = openLoop.run(perSecond, operation);
        results.add(SECTION, name, load, baseline, CaseFigures.Ratio.P99,
                progress.report(String.format(Locale.ROOT, "%s, %s (%,.0f/s), run %d", name, load, perSecond, run), sample));
    }

    /**
     * One client writes a fresh key and, the moment the PUT is acknowledged, reads it with the token it got
     * ({@code consistency=session}); timed from the acknowledgement to the read returning the new version.
     * The same pairs with an eventual read instead show how often the write is already visible without a token.
     */
    private void measureReadAfterWrite(HttpKeys keys, int run) throws IOException, InterruptedException {
        String ns = NAMESPACE.value();
        Histogram visible = new Histogram(3);
        long errors = 0;
        long eventualSeen = 0;
        long started = System.nanoTime();
        for (int i = 0; i < settings.sessionSamples(); i++) {
            String key = "raw-" + run + "-" + System.nanoTime() + "-" + i;
            HttpKeys.Written written = keys.put(ns, key, value, false);
            long acknowledged = System.nanoTime();
            HttpResponse<Void> read = keys.getWithToken(ns, key, "session", written.token());
            long seen = System.nanoTime();
            if (read.statusCode() == 200 && read.headers().firstValue("ETag").orElse("").equals("\"" + written.version() + "\"")) {
                visible.recordValue(seen - acknowledged);
            } else {
                errors++;
            }
            HttpKeys.Written again = keys.put(ns, key + "-e", value, false);
            HttpResponse<Void> eventual = keys.getWithToken(ns, key + "-e", "eventual", "");
            if (eventual.statusCode() == 200 && eventual.headers().firstValue("ETag").orElse("").equals("\"" + again.version() + "\"")) {
                eventualSeen++;
            }
        }
        RunSample sample = RunSample.of(visible, errors, System.nanoTime() - started, Double.NaN);
        results.add(AFTER_WRITE, SESSION, "1 client, sequential", null, CaseFigures.Ratio.P99,
                progress.report(SESSION + ", run " + run, sample));
        results.note(String.format(Locale.ROOT, "Run %d: %d of %d eventual GETs sent right after a PUT's acknowledgement "
                + "(no token) already saw that write.", run, eventualSeen, settings.sessionSamples()));
    }

    /** Fills the read namespace: straight into its truth topic when Kafka is at hand, else over HTTP. */
    private void load(HttpKeys keys) throws IOException, InterruptedException {
        int status = keys.putNamespace(NAMESPACE.value(), "{\"partitions\":" + settings.partitions() + "}");
        if (status / 100 != 2 && status != 409) {
            throw new IllegalStateException("could not create namespace " + NAMESPACE.value() + ": " + status);
        }
        long started = System.nanoTime();
        if (bootstrapServers != null && settings.url() == null) {
            new TruthTopicLoader(bootstrapServers, admin).load(NAMESPACE, settings.partitions(), settings.keys(), settings.valueBytes());
        } else {
            loadOverHttp(keys);
        }
        awaitCaughtUp(keys);
        progress.say(String.format(Locale.ROOT, "%,d keys of %d bytes loaded and applied in %.1f s", settings.keys(),
                settings.valueBytes(), (System.nanoTime() - started) / 1e9));
    }

    private void loadOverHttp(HttpKeys keys) {
        int clients = 32;
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            int client = c;
            threads[c] = new Thread(() -> {
                for (long i = client; i < settings.keys(); i += clients) {
                    try {
                        keys.put(NAMESPACE.value(), keyName(i), value, false);
                    } catch (Exception e) {
                        throw new IllegalStateException("loading failed at " + keyName(i), e);
                    }
                }
            });
            threads[c].start();
        }
        for (Thread thread : threads) {
            ClosedLoop.join(thread);
        }
    }

    /** Strong reads of the last keys loaded wait until the node's replicas hold everything before them. */
    private void awaitCaughtUp(HttpKeys keys) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        for (long i = Math.max(0, settings.keys() - 64); i < settings.keys(); i++) {
            while (keys.getWithToken(NAMESPACE.value(), keyName(i), "strong", "").statusCode() != 200) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the node did not apply the loaded keys in " + CATCH_UP_TIMEOUT);
                }
                Pause.millis(100);
            }
        }
    }

    private void measureRedis() throws IOException, InterruptedException {
        try (RedisBaseline redis = RedisBaseline.startIfInstalled()) {
            if (redis == null) {
                results.note("Redis baseline skipped: redis-server or redis-benchmark is not on the PATH.");
                return;
            }
            results.note("Redis: " + RedisBaseline.version() + ", no persistence, driven by redis-benchmark (C, no pipelining).");
            long requests = Math.max(100_000, Math.round(settings.measure().toSeconds() * 60_000.0));
            for (int run = 1; run <= settings.repeats(); run++) {
                Map<String, RedisBaseline.Figures> figures = redis.run(settings.readClients(), settings.valueBytes(), settings.keys(), requests);
                redisCase(REDIS_SET, figures.get("SET"), run);
                redisCase(REDIS_GET, figures.get("GET"), run);
            }
        }
    }

    private void redisCase(String name, RedisBaseline.Figures figures, int run) {
        if (figures == null) {
            return;
        }
        RunSample sample = new RunSample(figures.opsPerSecond(), figures.p50Ms() * 1e3, figures.p99Ms() * 1e3, Double.NaN,
                0, 0, Double.NaN);
        results.add(SECTION, name, clientsLoad(), null, CaseFigures.Ratio.THROUGHPUT, progress.report(name + ", run " + run, sample));
    }

    private String clientsLoad() {
        return settings.readClients() + " clients, closed loop";
    }

    private String randomKey() {
        return keyName(ThreadLocalRandom.current().nextLong(settings.keys()));
    }

    /** As {@link TruthTopicLoader} names keys ("key-%010d"), without String.format, which showed in the client's profile. */
    static String keyName(long i) {
        String digits = Long.toString(i);
        return "key-" + "0".repeat(Math.max(0, 10 - digits.length())) + digits;
    }
}
