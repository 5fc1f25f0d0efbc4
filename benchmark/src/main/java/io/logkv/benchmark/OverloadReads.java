package io.logkv.benchmark;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads of one key at growing concurrency against a running node, in a JVM of its own: how many are answered
 * {@code 200}, how many are refused at once ({@code 503 overloaded}, load shedding), and the latency of the
 * admitted ones alone. Closed loop: a refused client asks again at once, so 2× and 4× the concurrency the node
 * serves best at offers it 2× and 4× the requests it can take. Run it against a node with and without
 * {@code logkv.shedding.max-active-requests} (bench/http/overload.sh does both).
 *
 * <pre>OverloadReads URL NAMESPACE KEY CONNECTIONS(,...) SECONDS REPEATS LABEL</pre>
 *
 * Prints one markdown row per run: label, connections, repeat, admitted/s, refused/s, admitted p50/p99/p99.9 ms,
 * other failures.
 */
public final class OverloadReads {

    private OverloadReads() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: OverloadReads URL NAMESPACE KEY CONNECTIONS SECONDS REPEATS LABEL");
            System.exit(2);
        }
        URI uri = URI.create(args[0] + "/v1/namespaces/" + args[1] + "/keys/" + args[2]);
        List<Integer> connections = new ArrayList<>();
        for (String each : args[3].split(",")) {
            connections.add(Integer.parseInt(each.trim()));
        }
        Duration measure = Duration.ofSeconds(Long.parseLong(args[4]));
        int repeats = Integer.parseInt(args[5]);
        String label = args[6];
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build();
        for (int repeat = 1; repeat <= repeats; repeat++) {
            for (int clients : connections) {
                ClosedLoop loop = new ClosedLoop(Duration.ofSeconds(3), measure);
                RunSample sample = loop.run(clients, (client, sequence) -> {
                    HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() == 503) {
                        throw new IllegalStateException("refused (503)");
                    }
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("answered " + response.statusCode());
                    }
                });
                Map<String, Long> errors = loop.errorsOfLastRun();
                long refused = errors.getOrDefault("IllegalStateException: refused", 0L);
                long others = errors.values().stream().mapToLong(Long::longValue).sum() - refused;
                // Refusals are counted over warm-up and measurement; their rate is over both.
                double refusedPerSecond = refused / (measure.toSeconds() + 3.0);
                System.out.printf(Locale.ROOT, "| %s | %d | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %d |%n", label, clients, repeat,
                        sample.opsPerSecond(), refusedPerSecond, sample.p50Micros() / 1e3, sample.p99Micros() / 1e3,
                        sample.p999Micros() / 1e3, others);
                System.out.flush();
            }
        }
    }
}
