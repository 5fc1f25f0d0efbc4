package io.logkv.local;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.NamespaceName;
import io.logkv.local.HistoryOp.Kind;
import io.logkv.local.HistoryOp.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault run's load: session clients PUT, DELETE, put-if-absent and read (session reads with their token,
 * strong reads) a small set of keys, so that keys are written, deleted and read back many times; counter
 * clients increment a few counters with compare-and-set (strong read, then If-Match or If-None-Match: *)
 * and now and then delete one with If-Match. Every write carries an {@code Idempotency-Key} except a fifth of
 * the plain PUTs, and one whose outcome is unknown is retried under it; a tenth of the acknowledged ones
 * are sent again, as by a client that lost the answer, and must get the first outcome. Each client is a session: it sends
 * the token it holds with every request and keeps the token of every answer. Every operation is recorded
 * with its invocation and outcome ({@link HistoryOp}); nothing is judged here.
 *
 * <p>All choices come from the run's seed: a client's random sequence is fixed by the seed and its index, so
 * a replay makes the same choices (the interleaving with the faults is the machine's).
 */
final class MixedWorkload {

    static final int PLAIN_KEYS = 24;
    static final int COUNTERS = 3;
    private static final int SESSION_CLIENTS = 4;
    private static final int COUNTER_CLIENTS = 3;
    private static final int MAX_ATTEMPTS = 3;
    private static final Duration CLIENT_DEADLINE = Duration.ofSeconds(60);
    private static final NamespaceName NAMESPACE = new NamespaceName(LogKvHttp.NAMESPACE);
    private static final String FILLER = "x".repeat(200);

    private final LogKvHttp http;
    private final List<String> nodeUrls;
    private final Set<String> downNodes;
    private final long seed;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<HistoryOp> history = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> clientErrors = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param downNodes nodes known to be down right now (killed): clients send elsewhere while they are
     */
    MixedWorkload(LogKvHttp http, List<String> nodeUrls, Set<String> downNodes, long seed) {
        this.http = http;
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

    static boolean isCounter(String key) {
        return key.startsWith("counter-");
    }

    MixedWorkload start() {
        running.set(true);
        for (int c = 0; c < SESSION_CLIENTS + COUNTER_CLIENTS; c++) {
            Random random = new Random(seed ^ (0x9E3779B97F4A7C15L * (c + 1)));
            boolean counterClient = c >= SESSION_CLIENTS;
            String name = (counterClient ? "cas-" : "session-") + c;
            Thread thread = new Thread(() -> {
                Session session = new Session();
                while (running.get()) {
                    try {
                        if (counterClient) {
                            incrementOrReset(name, random, session);
                        } else {
                            sessionStep(name, random, session);
                        }
                    } catch (RuntimeException e) {
                        // A fault of this harness (or an answer it cannot parse), reported with the run's checks.
                        clientErrors.add(name + ": " + e);
                        sleep(100);
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
            sleep(50);
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
                sleep(100 + random.nextInt(400));
            }
            node = pickNode(random);
            tokenSent = session.token();
            answer = http.exchange(method, node, key, "", writeHeaders(idempotencyKey, condition, tokenSent, value != null), body,
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
            LogKvHttp.Answer again = http.exchange(method, pickNode(random), key, "",
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
    }

    /** The position of each partition of the namespace that {@code token} (comma-separated tokens) demands. */
    static Map<Integer, Long> positions(String token) {
        if (token == null || token.isBlank()) {
            return Map.of();
        }
        return ConsistencyToken.decodeAll(List.of(token)).positionsFor(NAMESPACE);
    }

    /** Whether {@code token} demands at least every position {@code other} does. */
    static boolean covers(String token, String other) {
        Map<Integer, Long> mine = positions(token);
        return positions(other).entrySet().stream().allMatch(e -> mine.getOrDefault(e.getKey(), 0L) >= e.getValue());
    }
}
