package io.logkv.local;

import io.logkv.client.http.KeyValue;
import io.logkv.client.http.LogKvClient;
import io.logkv.client.http.ScanPage;
import io.logkv.client.http.WriteOptions;
import io.logkv.client.http.Written;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/logkv get|put|del|scan|watch}: keys from the command line, through the Java client. Human
 * output by default, {@code --json} for scripts; exit codes: 0 done, 1 no such key or a condition that
 * did not hold, 2 bad usage, 3 LogKV answered a problem or could not be reached. The options they share are
 * {@link KeyCommandOptions} and {@link ReadConsistencyOption}; {@link KeyOutput} prints keys.
 */
final class KeyCommands {

    static final int NOT_FOUND = 1;
    static final int USAGE = 2;
    static final int FAILED = 3;

    private KeyCommands() {
    }

    @Command(name = "get", description = "Print a key's value.")
    static final class Get implements Callable<Integer> {
        @Mixin
        KeyCommandOptions target;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Mixin
        ReadConsistencyOption reading;

        @Override
        public Integer call() {
            return reading.withClient(target, (client, level) -> {
                Optional<KeyValue> value = client.get(target.namespace, key, level);
                if (value.isEmpty()) {
                    System.err.println("logkv: no key '" + key + "' in '" + target.namespace + "'");
                    return NOT_FOUND;
                }
                if (target.json) {
                    KeyOutput.printJson(System.out, KeyOutput.describe(value.get()));
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
        KeyCommandOptions target;

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
                    KeyOutput.printJson(System.out, Map.of("version", written.version(), "token", written.token()));
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
        KeyCommandOptions target;

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
                    KeyOutput.printJson(System.out, Map.of("deleted", key));
                }
                return 0;
            });
        }
    }

    @Command(name = "scan", description = "List the keys under a prefix, with their values, in key order.")
    static final class Scan implements Callable<Integer> {
        @Mixin
        KeyCommandOptions target;

        @Parameters(index = "0", paramLabel = "PREFIX", defaultValue = "", description = "The keys' prefix (default: every key).")
        String prefix;

        @Option(names = "--limit", defaultValue = "1000", description = "At most this many keys (default: ${DEFAULT-VALUE}).")
        int limit;

        @Mixin
        ReadConsistencyOption reading;

        @Override
        public Integer call() {
            return reading.withClient(target, (client, level) -> {
                int printed = 0;
                String after = null;
                do {
                    ScanPage page = client.scan(target.namespace, prefix, after, Math.min(1000, limit - printed), level);
                    for (KeyValue value : page.values()) {
                        if (target.json) {
                            KeyOutput.printJson(System.out, KeyOutput.describe(value));
                        } else {
                            System.out.println(value.key() + "\t" + (KeyOutput.text(value.contentType()) ? value.text()
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
        KeyCommandOptions target;

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
            client.watch(target.namespace, prefix.isEmpty() ? null : prefix, from).subscribe(new ChangePrinter(target.json, count, done));
            done.await();
            client.close();
            return 0;
        }
    }
}
