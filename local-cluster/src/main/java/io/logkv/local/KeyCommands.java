package io.logkv.local;

import io.logkv.client.http.Change;
import io.logkv.client.http.ConditionFailedException;
import io.logkv.client.http.Consistency;
import io.logkv.client.http.KeyValue;
import io.logkv.client.http.LogKvClient;
import io.logkv.client.http.LogKvException;
import io.logkv.client.http.ScanPage;
import io.logkv.client.http.WriteOptions;
import io.logkv.client.http.Written;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bin/logkv get|put|del|scan|watch}: keys from the command line, through the Java client. Human
 * output by default, {@code --json} for scripts; exit codes: 0 done, 1 no such key or a condition that
 * did not hold, 2 bad usage, 3 LogKV answered a problem or could not be reached.
 */
final class KeyCommands {

    static final int NOT_FOUND = 1;
    static final int USAGE = 2;
    static final int FAILED = 3;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private KeyCommands() {
    }

    /** Options every key command takes. */
    static final class Target {

        @Option(names = "--url", defaultValue = "${LOGKV_URL:-http://localhost:8080}",
                description = "A LogKV node (default: $LOGKV_URL, else ${DEFAULT-VALUE}).")
        String url;

        @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--json", description = "Print JSON instead of text.")
        boolean json;

        @Option(names = "--timeout", defaultValue = "30s", description = "Give up after this long, retries included (default: ${DEFAULT-VALUE}).")
        String timeout;

        @Mixin
        ApiKeyOption credentials;

        LogKvClient client() {
            return credentials.applyTo(LogKvClient.builder().nodes(url).requestDeadline(parseTtl(timeout))).build();
        }

        /** Runs {@code action} with a client; a problem LogKV answered (or no answer) is printed and gives its exit code. */
        int withClient(java.util.function.ToIntFunction<LogKvClient> action) {
            try (LogKvClient client = client()) {
                return action.applyAsInt(client);
            } catch (LogKvException e) {
                return problem(e, System.err);
            }
        }

        int problem(LogKvException e, PrintStream err) {
            err.println("logkv: " + e.getMessage());
            return e instanceof ConditionFailedException ? NOT_FOUND : FAILED;
        }
    }

    /** How current a read must be: {@code --consistency}. */
    static final class Reading {

        @Option(names = "--consistency", defaultValue = "eventual", description = "eventual, session or strong (default: ${DEFAULT-VALUE}).")
        String consistency;

        /** Runs {@code action} with a client at the chosen consistency; a name that is none is a usage error. */
        int withClient(Target target, java.util.function.ToIntBiFunction<LogKvClient, Consistency> action) {
            Consistency level;
            try {
                level = Consistency.valueOf(consistency.strip().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                System.err.println("logkv: --consistency must be eventual, session or strong, not " + consistency);
                return USAGE;
            }
            return target.withClient(client -> action.applyAsInt(client, level));
        }
    }

    static void printJson(PrintStream out, Object value) {
        out.println(JSON.writeValueAsString(value));
    }

    static Map<String, Object> describe(KeyValue value) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("key", value.key());
        fields.put("version", value.version());
        fields.put("contentType", value.contentType());
        fields.put("value", text(value.contentType()) ? value.text() : Base64.getEncoder().encodeToString(value.value()));
        if (value.expiresAt() != null) {
            fields.put("expiresAt", value.expiresAt().toString());
        }
        return fields;
    }

    private static boolean text(String contentType) {
        return contentType != null && (contentType.startsWith("text/") || contentType.contains("json"));
    }

    @Command(name = "get", description = "Print a key's value.")
    static final class Get implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Mixin
        Reading reading;

        @Override
        public Integer call() {
            return reading.withClient(target, (client, level) -> {
                Optional<KeyValue> value = client.get(target.namespace, key, level);
                if (value.isEmpty()) {
                    System.err.println("logkv: no key '" + key + "' in '" + target.namespace + "'");
                    return NOT_FOUND;
                }
                if (target.json) {
                    printJson(System.out, describe(value.get()));
                } else {
                    System.out.writeBytes(value.get().value());
                    System.out.println();
                }
                return 0;
            });
        }
    }

    @Command(name = "put", description = "Write a key's value (VALUE, or standard input with -).")
    static final class Put implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Option(names = "--content-type", defaultValue = "text/plain; charset=utf-8")
        String contentType;

        @Option(names = "--ttl", description = "Time to live, as 30s, 10m, 2h or 1d.")
        String ttl;

        @Option(names = "--if-version", description = "Write only if the key's version is this one.")
        String ifVersion;

        @Option(names = "--if-absent", description = "Write only if the key has no value.")
        boolean ifAbsent;

        @Override
        public Integer call() throws IOException {
            byte[] bytes = "-".equals(value) ? System.in.readAllBytes() : value.getBytes(StandardCharsets.UTF_8);
            WriteOptions options = WriteOptions.defaults().contentType(contentType);
            if (ttl != null) {
                options = options.ttl(parseTtl(ttl));
            }
            if (ifVersion != null) {
                options = options.ifVersion(ifVersion);
            }
            if (ifAbsent) {
                options = options.onlyIfAbsent();
            }
            WriteOptions chosen = options;
            return target.withClient(client -> {
                Written written = client.put(target.namespace, key, bytes, chosen);
                if (target.json) {
                    printJson(System.out, Map.of("version", written.version(), "token", written.token()));
                } else {
                    System.out.println("version " + written.version() + "  token " + written.token());
                }
                return 0;
            });
        }
    }

    /** A duration as 30s, 10m, 2h or 1d. */
    static Duration parseTtl(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        long amount = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            case 'h' -> Duration.ofHours(amount);
            case 'd' -> Duration.ofDays(amount);
            default -> throw new IllegalArgumentException("a time to live is a number with s, m, h or d: " + text);
        };
    }

    @Command(name = "del", description = "Delete a key.")
    static final class Del implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(names = "--if-version", description = "Delete only if the key's version is this one.")
        String ifVersion;

        @Override
        public Integer call() {
            return target.withClient(client -> {
                if (ifVersion == null) {
                    client.delete(target.namespace, key);
                } else {
                    client.deleteIfVersion(target.namespace, key, ifVersion);
                }
                if (target.json) {
                    printJson(System.out, Map.of("deleted", key));
                }
                return 0;
            });
        }
    }

    @Command(name = "scan", description = "List the keys under a prefix, with their values, in key order.")
    static final class Scan implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "PREFIX", defaultValue = "", description = "The keys' prefix (default: every key).")
        String prefix;

        @Option(names = "--limit", defaultValue = "1000", description = "At most this many keys (default: ${DEFAULT-VALUE}).")
        int limit;

        @Mixin
        Reading reading;

        @Override
        public Integer call() {
            return reading.withClient(target, (client, level) -> {
                int printed = 0;
                String after = null;
                do {
                    ScanPage page = client.scan(target.namespace, prefix, after, Math.min(1000, limit - printed), level);
                    for (KeyValue value : page.values()) {
                        if (target.json) {
                            printJson(System.out, describe(value));
                        } else {
                            System.out.println(value.key() + "\t" + (text(value.contentType()) ? value.text()
                                    : "(" + value.value().length + " bytes of " + value.contentType() + ")"));
                        }
                        printed++;
                    }
                    after = page.next();
                    if (after != null && printed < limit && !target.json) {
                        System.err.print("\r" + printed + " keys ...");
                    }
                } while (after != null && printed < limit);
                if (!target.json && printed >= 1000) {
                    System.err.println("\r" + printed + " keys");
                }
                return 0;
            });
        }
    }

    @Command(name = "watch", description = "Print the namespace's changes as they happen, until Ctrl-C.")
    static final class Watch implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "PREFIX", defaultValue = "", description = "Only keys under this prefix.")
        String prefix;

        @Option(names = "--from", description = "Start after what this token covers (default: from now).")
        String from;

        @Option(names = "--count", defaultValue = "0", description = "Stop after this many changes (default: never).")
        long count;

        @Override
        public Integer call() throws InterruptedException {
            CountDownLatch done = new CountDownLatch(1);
            LogKvClient client = target.client();
            client.watch(target.namespace, prefix.isEmpty() ? null : prefix, from).subscribe(new Flow.Subscriber<>() {
                private Flow.Subscription subscription;
                private long seen;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscription = s;
                    s.request(1);
                }

                @Override
                public void onNext(Change change) {
                    if (target.json) {
                        Map<String, Object> fields = new LinkedHashMap<>();
                        fields.put("type", change.type());
                        fields.put("key", change.key());
                        fields.put("version", change.version());
                        if (change.value() != null) {
                            fields.put("value", change.text());
                        }
                        fields.put("token", change.token());
                        printJson(System.out, fields);
                    } else {
                        System.out.println(change.type() + "\t" + change.key() + (change.value() == null ? "" : "\t" + change.text()));
                    }
                    System.out.flush();
                    if (count > 0 && ++seen >= count) {
                        subscription.cancel();
                        done.countDown();
                    } else {
                        subscription.request(1);
                    }
                }

                @Override
                public void onError(Throwable error) {
                    System.err.println("logkv: " + error.getMessage());
                    done.countDown();
                }

                @Override
                public void onComplete() {
                    done.countDown();
                }
            });
            done.await();
            client.close();
            return 0;
        }
    }
}
