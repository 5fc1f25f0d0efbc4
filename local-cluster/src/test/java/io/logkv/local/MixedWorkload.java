package io.logkv.local;

import io.logkv.client.IngestKeySerializer;
import io.logkv.client.IngestTokens;
import io.logkv.client.IngestWrite;
import io.logkv.client.IngestWriteSerializer;
import io.logkv.core.ConsistencyToken;
import io.logkv.core.NamespaceName;
import io.logkv.local.HistoryOp.Kind;
import io.logkv.local.HistoryOp.Outcome;
import io.logkv.testkit.Pauses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A fault run's load: session clients PUT, DELETE, put-if-absent and read (session reads with their token,
 * strong reads) a small set of keys, so that keys are written, deleted and read back many times; counter
 * clients increment a few counters with compare-and-set (strong read, then If-Match or If-None-Match: *)
 * and now and then delete one with If-Match. Every write carries an {@code Idempotency-Key} except a fifth of
 * the plain PUTs, and one whose outcome is unknown is retried under it; a tenth of the acknowledged ones
 * are sent again, as by a client that lost the answer, and must get the first outcome. A time-to-live client
 * PUTs keys of their own with {@code ?ttl=} of 1-3 s (now and then without, or a DELETE), at a pace that lets
 * them expire between writes, and reads them (session, strong); an ingest client produces records to the
 * namespace's ingest topic with LogKV's serializers (to the plain keys and, with a time to live, to the
 * time-to-live keys), and reads most of them back at once under the producer's token. Each client is a
 * session: it sends the token it holds with every request and keeps the token of every answer (and the
 * ingest client the token of each acknowledged record). Every operation is recorded with its invocation
 * and outcome ({@link HistoryOp}); nothing is judged here.
 *
 * <p>All choices come from the run's seed: a client's random sequence is fixed by the seed and its index, so
 * a replay makes the same choices (the interleaving with the faults is the machine's).
 */
final class MixedWorkload {

    static final int PLAIN_KEYS = 24;
    static final int COUNTERS = 3;
    static final int TTL_KEYS = 8;
    private static final int SESSION_CLIENTS = 4;
    private static final int COUNTER_CLIENTS = 3;
    /** After the session and counter clients, so that their random sequences stay what they were. */
    private static final int TTL_CLIENTS = 1;
    private static final int INGEST_CLIENTS = 1;
    /** How long the ingest client waits for Kafka's acknowledgement (above the producer's delivery timeout). */
    private static final Duration INGEST_DEADLINE = Duration.ofSeconds(40);
    private static final int MAX_ATTEMPTS = 3;
    private static final Duration CLIENT_DEADLINE = Duration.ofSeconds(60);
    private static final NamespaceName NAMESPACE = new NamespaceName(LogKvHttp.NAMESPACE);
    private static final String FILLER = "x".repeat(200);

    private final LogKvHttp http;
    private final String bootstrapServers;
    private final List<String> nodeUrls;
    private final Set<String> downNodes;
    private final long seed;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<HistoryOp> history = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> clientErrors = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private KafkaProducer<String, IngestWrite> producer;

    /**
     * @param bootstrapServers where the ingest client produces (straight to the brokers, as a streaming application)
     * @param downNodes        nodes known to be down right now (killed): clients send elsewhere while they are
     */
    MixedWorkload(LogKvHttp http, String bootstrapServers, List<String> nodeUrls, Set<String> downNodes, long seed) {
        this.http = http;
        this.bootstrapServers = bootstrapServers;
        this.nodeUrls = List.copyOf(nodeUrls);
        this.downNodes = downNodes;
        this.seed = seed;
    }

    static List<String> plainKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < PLAIN_KEYS; i++) {
            keys.add(String.format("k-%02d", i));
        }
        return keys;
    }

    static List<String> counters() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < COUNTERS; i++) {
            keys.add("counter-" + i);
        }
        return keys;
    }

    /** The keys the time-to-live client writes (the ingest client too, with a time to live). */
    static List<String> ttlKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < TTL_KEYS; i++) {
            keys.add(String.format("t-%02d", i));
        }
        return keys;
    }

    /** Every key the load writes. */
    static List<String> allKeys() {
        List<String> keys = new ArrayList<>(plainKeys());
        keys.addAll(counters());
        keys.addAll(ttlKeys());
        return keys;
    }

    static boolean isCounter(String key) {
        return key.startsWith("counter-");
    }

    private enum Role { SESSION, COUNTER, TTL, INGEST }

    private static Role role(int client) {
        if (client < SESSION_CLIENTS) {
            return Role.SESSION;
        }
        if (client < SESSION_CLIENTS + COUNTER_CLIENTS) {
            return Role.COUNTER;
        }
        return client < SESSION_CLIENTS + COUNTER_CLIENTS + TTL_CLIENTS ? Role.TTL : Role.INGEST;
    }

    MixedWorkload start() {
        running.set(true);
        producer = ingestProducer(bootstrapServers);
        for (int c = 0; c < SESSION_CLIENTS + COUNTER_CLIENTS + TTL_CLIENTS + INGEST_CLIENTS; c++) {
            Random random = new Random(seed ^ (0x9E3779B97F4A7C15L * (c + 1)));
            Role role = role(c);
            String prefix = switch (role) {
                case SESSION -> "session-";
                case COUNTER -> "cas-";
                case TTL -> "ttl-";
                case INGEST -> "ingest-";
            };
            String name = prefix + c;
            Thread thread = new Thread(() -> {
                Session session = new Session();
                while (running.get()) {
                    try {
                        switch (role) {
                            case SESSION -> sessionStep(name, random, session);
                            case COUNTER -> incrementOrReset(name, random, session);
                            case TTL -> ttlStep(name, random, session);
                            case INGEST -> ingestStep(name, random, session);
                        }
                    } catch (RuntimeException e) {
                        // A fault of this harness (or an answer it cannot parse), reported with the run's checks.
                        clientErrors.add(name + ": " + e);
                        Pauses.sleep(100);
                    }
                }
            }, "fault-run-" + name);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        return this;
    }

    /**
     * Stops the clients and waits for the operations in flight (each bounded by the client's deadline).
     *
     * @return the clients still busy after that (a request that never ended), and any error a client met
     */
    List<String> stop() throws InterruptedException {
        running.set(false);
        List<String> stuck = new ArrayList<>();
        long deadline = System.nanoTime() + CLIENT_DEADLINE.multipliedBy(2).toNanos();
        for (Thread thread : threads) {
            thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (thread.isAlive()) {
                stuck.add(thread.getName() + " still busy " + CLIENT_DEADLINE.multipliedBy(2).toSeconds() + " s after the load stopped");
            }
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(30));
        }
        stuck.addAll(clientErrors);
        return stuck;
    }

    List<HistoryOp> history() {
        return List.copyOf(history);
    }

    private void sessionStep(String client, Random random, Session session) {
        int roll = random.nextInt(100);
        List<String> keys = plainKeys();
        String key = keys.get(random.nextInt(keys.size()));
        if (roll < 30) {
            long id = ids.incrementAndGet();
            // A fifth of the plain PUTs go without an Idempotency-Key, as a client that does not retry.
            write(id, client, random, session, Kind.PUT, key, null, null, value(id, "c=" + client + ";" + FILLER), random.nextInt(5) > 0);
        } else if (roll < 40) {
            write(ids.incrementAndGet(), client, random, session, Kind.DELETE, key, null, null, null, true);
        } else if (roll < 50) {
            long id = ids.incrementAndGet();
            write(id, client, random, session, Kind.PUT_IF_ABSENT, key, "*", null, value(id, "c=" + client + ";" + FILLER), true);
        } else if (roll < 85) {
            // A tenth of the session reads go to the counters, which other clients write.
            String readKey = random.nextInt(10) == 0 ? counters().get(random.nextInt(COUNTERS)) : key;
            read(client, random, session, Kind.SESSION_READ, readKey);
        } else {
            read(client, random, session, Kind.STRONG_READ, key);
        }
    }

    /** Reads a counter (strong) and writes its next value conditioned on what was read, or deletes it. */
    private void incrementOrReset(String client, Random random, Session session) {
        String counter = counters().get(random.nextInt(COUNTERS));
        HistoryOp read = read(client, random, session, Kind.STRONG_READ, counter);
        if (read.outcome() != Outcome.OBSERVED) {
            Pauses.sleep(50);
            return;
        }
        String observed = read.observedValue();
        long id = ids.incrementAndGet();
        if (observed != null && random.nextInt(10) == 0) {
            write(id, client, random, session, Kind.CAS_DELETE, counter, read.version(), observed, null, true);
        } else {
            long next = countIn(observed) + 1;
            write(id, client, random, session, Kind.CAS_PUT, counter, observed == null ? "*" : read.version(), observed,
                    value(id, "n=" + next + ";"), true);
        }
    }

    /**
     * A time-to-live key written with {@code ?ttl=} of 1-3 s, or without, or deleted, or read (session with the
     * client's token, or strong); 100-300 ms between steps, so that keys often expire before their next write
     * and are read expired.
     */
    private void ttlStep(String client, Random random, Session session) {
        List<String> keys = ttlKeys();
        String key = keys.get(random.nextInt(keys.size()));
        int roll = random.nextInt(100);
        if (roll < 35) {
            long id = ids.incrementAndGet();
            long ttlMs = 1000L * (1 + random.nextInt(3));
            write(id, client, random, session, Kind.TTL_PUT, key, null, null, value(id, "ttl=" + ttlMs + ";c=" + client + ";"),
                    true, "ttl=" + ttlMs / 1000 + "s");
        } else if (roll < 45) {
            long id = ids.incrementAndGet();
            write(id, client, random, session, Kind.PUT, key, null, null, value(id, "c=" + client + ";"), true);
        } else if (roll < 50) {
            write(ids.incrementAndGet(), client, random, session, Kind.DELETE, key, null, null, null, true);
        } else if (roll < 80) {
            read(client, random, session, Kind.SESSION_READ, key);
        } else {
            read(client, random, session, Kind.STRONG_READ, key);
        }
        Pauses.sleep(100 + random.nextInt(200));
    }

    /**
     * A record produced to the ingest topic, as a streaming application writes: to a plain key, or with a time
     * to live of 1-3 s to a time-to-live key. Once Kafka acknowledges it, the client keeps its token
     * ({@link IngestTokens#tokenFor}) and most of the time reads the key back at once under its session.
     */
    private void ingestStep(String client, Random random, Session session) {
        boolean withTtl = random.nextInt(10) < 3;
        List<String> keys = withTtl ? ttlKeys() : plainKeys();
        String key = keys.get(random.nextInt(keys.size()));
        long id = ids.incrementAndGet();
        long ttlMs = withTtl ? 1000L * (1 + random.nextInt(3)) : 0;
        String value = value(id, (withTtl ? "ttl=" + ttlMs + ";" : "") + "ingest;c=" + client + ";");
        IngestWrite write = IngestWrite.put(value.getBytes(StandardCharsets.UTF_8)).contentType("text/plain");
        if (withTtl) {
            write = write.ttl(Duration.ofMillis(ttlMs));
        }
        long invoked = System.nanoTime();
        Outcome outcome;
        String token = null;
        String problem = null;
        try {
            RecordMetadata metadata = producer.send(new ProducerRecord<>(IngestTopic.TOPIC, key, write))
                    .get(INGEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            outcome = Outcome.ACK;
            token = IngestTokens.tokenFor(metadata);
        } catch (ExecutionException e) {
            // Not acknowledged: it may be in the topic all the same (a lost acknowledgement), so it may be applied.
            outcome = Outcome.AMBIGUOUS;
            problem = String.valueOf(e.getCause());
        } catch (TimeoutException e) {
            outcome = Outcome.AMBIGUOUS;
            problem = "no acknowledgement within " + INGEST_DEADLINE.toSeconds() + " s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = Outcome.AMBIGUOUS;
            problem = "interrupted";
        }
        long returned = System.nanoTime();
        history.add(new HistoryOp(id, client, Kind.INGEST_PUT, key, "kafka", invoked, returned, System.currentTimeMillis(), null, null,
                value, null, 1, outcome, outcome == Outcome.ACK ? 0 : -1, problem, null, null, null, token, null));
        if (outcome == Outcome.ACK) {
            session.keepIngest(token);
            if (random.nextInt(10) < 7) {
                read(client, random, session, Kind.SESSION_READ, key);
            }
        } else {
            Pauses.sleep(200);
        }
        Pauses.sleep(20 + random.nextInt(80));
    }

    private static KafkaProducer<String, IngestWrite> ingestProducer(String bootstrapServers) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        return new KafkaProducer<>(config, new IngestKeySerializer(), new IngestWriteSerializer());
    }

    private static String value(long id, String rest) {
        return "op=" + id + ";" + rest;
    }

    static long countIn(String value) {
        if (value == null) {
            return 0;
        }
        int at = value.indexOf(";n=");
        return Long.parseLong(value.substring(at + 3, value.indexOf(';', at + 3)));
    }

    private HistoryOp write(long id, String client, Random random, Session session, Kind kind, String key, String condition,
                            String expectedValue, String value, boolean idempotent) {
        return write(id, client, random, session, kind, key, condition, expectedValue, value, idempotent, "");
    }

    /** @param query the request's query string without {@code ?} ({@code ttl=2s}), or empty */
    private HistoryOp write(long id, String client, Random random, Session session, Kind kind, String key, String condition,
                            String expectedValue, String value, boolean idempotent, String query) {
        String idempotencyKey = idempotent ? "op-" + id : null;
        String method = kind.isDelete() ? "DELETE" : "PUT";
        byte[] body = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        long invoked = System.nanoTime();
        LogKvHttp.Answer answer;
        String node;
        String tokenSent;
        Outcome outcome;
        int attempts = 0;
        do {
            if (attempts > 0) {
                Pauses.sleep(100 + random.nextInt(400));
            }
            node = pickNode(random);
            tokenSent = session.token();
            answer = http.exchange(method, node, key, query, writeHeaders(idempotencyKey, condition, tokenSent, value != null), body,
                    CLIENT_DEADLINE);
            attempts++;
            outcome = writeOutcome(answer);
        } while (outcome == Outcome.AMBIGUOUS && idempotencyKey != null && attempts < MAX_ATTEMPTS && running.get());
        long returned = System.nanoTime();
        long returnedEpochMs = System.currentTimeMillis();
        session.keep(answer);
        String unexpected = unexpectedWrite(answer, kind);
        if (outcome == Outcome.ACK && idempotencyKey != null && random.nextInt(10) == 0) {
            // As a client that lost the answer: the same request again, through any node. It must get the first
            // outcome (same status, same version) or a clean 503/504, and write nothing new (noZombieRecords).
            LogKvHttp.Answer again = http.exchange(method, pickNode(random), key, query,
                    writeHeaders(idempotencyKey, condition, session.token(), value != null), body, CLIENT_DEADLINE);
            attempts++;
            boolean same = again.status() == answer.status() && Objects.equals(answer.etag(), again.etag());
            if (!same && !again.cleanUnavailable() && !transportFailure(again) && unexpected == null) {
                unexpected = "the same request again under its Idempotency-Key got " + again.describe() + " with ETag " + again.etag()
                        + ", not the first outcome " + answer.status() + " " + answer.etag();
            }
        }
        HistoryOp op = new HistoryOp(id, client, kind, key, node, invoked, returned, returnedEpochMs, condition,
                idempotencyKey, value, expectedValue, attempts, outcome, answer.status(), problem(answer),
                outcome == Outcome.ACK ? answer.etag() : null, null, tokenSent, answer.token(), unexpected);
        history.add(op);
        return op;
    }

    private static Map<String, String> writeHeaders(String idempotencyKey, String condition, String token, boolean hasValue) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (idempotencyKey != null) {
            headers.put("Idempotency-Key", idempotencyKey);
        }
        if ("*".equals(condition)) {
            headers.put("If-None-Match", "*");
        } else if (condition != null) {
            headers.put("If-Match", "\"" + condition + "\"");
        }
        if (token != null) {
            headers.put("KV-Token", token);
        }
        if (hasValue) {
            headers.put("Content-Type", "text/plain");
        }
        return headers;
    }

    private HistoryOp read(String client, Random random, Session session, Kind kind, String key) {
        long id = ids.incrementAndGet();
        String node = pickNode(random);
        String tokenSent = session.token();
        Map<String, String> headers = tokenSent == null ? Map.of() : Map.of("KV-Token", tokenSent);
        String consistency = kind == Kind.STRONG_READ ? "strong" : "session";
        long invoked = System.nanoTime();
        LogKvHttp.Answer answer = http.exchange("GET", node, key, "consistency=" + consistency + "&wait_ms=2000", headers, null,
                CLIENT_DEADLINE);
        long returned = System.nanoTime();
        boolean observed = answer.status() == 200 || (answer.status() == 404 && "key-not-found".equals(answer.problemType()));
        session.keep(answer);
        String unexpected = observed || answer.cleanUnavailable() || transportFailure(answer) ? null : "read answered " + answer.describe();
        HistoryOp op = new HistoryOp(id, client, kind, key, node, invoked, returned, System.currentTimeMillis(), null, null, null, null, 1,
                observed ? Outcome.OBSERVED : Outcome.UNAVAILABLE, answer.status(), problem(answer),
                answer.status() == 200 ? answer.etag() : null, answer.status() == 200 ? answer.body() : null, tokenSent,
                answer.token(), unexpected);
        history.add(op);
        return op;
    }

    private static Outcome writeOutcome(LogKvHttp.Answer answer) {
        if (answer.status() == 200 || answer.status() == 204) {
            return Outcome.ACK;
        }
        if (answer.status() == 412) {
            return Outcome.CONDITION_FAILED;
        }
        if ("write-failed".equals(answer.problemType())
                || (answer.status() < 0 && answer.error() != null && answer.error().startsWith("java.net.ConnectException"))) {
            return Outcome.FAILED;
        }
        // 503/504, a lost connection, no answer, and any answer the API does not allow (flagged apart).
        return Outcome.AMBIGUOUS;
    }

    private static String unexpectedWrite(LogKvHttp.Answer answer, Kind kind) {
        int expectedSuccess = kind.isDelete() ? 204 : 200;
        if (answer.status() == expectedSuccess || answer.status() == 412 || answer.cleanUnavailable() || transportFailure(answer)) {
            return answer.status() == expectedSuccess && answer.etag() == null ? "acknowledged without an ETag" : null;
        }
        return "write answered " + answer.describe();
    }

    /** No answer, but not for want of time: the connection was refused or lost (a killed node). */
    private static boolean transportFailure(LogKvHttp.Answer answer) {
        return answer.status() < 0 && answer.error() != null && !answer.error().contains("HttpTimeoutException");
    }

    private static String problem(LogKvHttp.Answer answer) {
        if (answer.status() < 0) {
            return answer.error();
        }
        return answer.problemType();
    }

    private String pickNode(Random random) {
        List<String> up = nodeUrls.stream().filter(url -> !downNodes.contains(url)).toList();
        List<String> from = up.isEmpty() ? nodeUrls : up;
        return from.get(random.nextInt(from.size()));
    }

    /**
     * A client's session: the tokens it holds. An answer's token replaces them when it covers them (as the
     * API promises: every answer's token is merged with the request's); otherwise it is kept beside them, so
     * that the client never sends less than it was given (the checks flag such an answer).
     */
    static final class Session {
        private final List<String> tokens = new ArrayList<>();

        String token() {
            return tokens.isEmpty() ? null : String.join(",", tokens);
        }

        void keep(LogKvHttp.Answer answer) {
            String received = answer.token();
            // Only answers whose token the API defines as merged with the request's (and that the checks hold to it).
            boolean served = answer.status() == 200 || answer.status() == 204 || answer.status() == 404;
            if (!served || received == null || received.isBlank()) {
                return;
            }
            boolean covering;
            try {
                covering = covers(received, token());
            } catch (RuntimeException malformed) {
                covering = false; // sent back as it came: the node's 400 to it is then flagged
            }
            if (covering) {
                tokens.clear();
            }
            tokens.add(received);
        }

        /**
         * The token of an ingest record Kafka acknowledged: kept beside the others until an answer's token
         * replaces them all (a node merges the request's tokens, ingest positions included, into its answer's).
         */
        void keepIngest(String ingestToken) {
            tokens.add(ingestToken);
        }
    }

    /** The position of each partition of the namespace that {@code token} (comma-separated tokens) demands. */
    static Map<Integer, Long> positions(String token) {
        if (token == null || token.isBlank()) {
            return Map.of();
        }
        return ConsistencyToken.decodeAll(List.of(token)).positionsFor(NAMESPACE);
    }

    /** The ingest position of {@code partition} that {@code token} (comma-separated tokens) demands, or 0. */
    static long ingestPosition(String token, int partition) {
        if (token == null || token.isBlank()) {
            return 0;
        }
        return ConsistencyToken.decodeAll(List.of(token)).ingestPositionFor(NAMESPACE, partition);
    }

    /** Whether {@code token} demands at least every position {@code other} does, truth and ingest positions alike. */
    static boolean covers(String token, String other) {
        if (other == null || other.isBlank()) {
            return true;
        }
        if (token == null || token.isBlank()) {
            return ConsistencyToken.decodeAll(List.of(other)).isEmpty();
        }
        return ConsistencyToken.decodeAll(List.of(token)).covers(ConsistencyToken.decodeAll(List.of(other)));
    }
}
