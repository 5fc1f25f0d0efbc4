package io.logkv.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waits for a LogKV node's readiness probe ({@code /actuator/health/readiness}) to answer 200: Spring has
 * started before the node's replicas have caught up, and a request then would only get a 503.
 */
final class NodeReadiness {

    private static final Duration PROBE_INTERVAL = Duration.ofMillis(250);

    private final URI probe;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    NodeReadiness(int httpPort) {
        this.probe = URI.create("http://localhost:" + httpPort + "/actuator/health/readiness");
    }

    /**
     * @param gone why the node can no longer become ready (e.g. its process exited), or empty while it can;
     *             asked between probes, so a dead node does not cost the whole timeout
     * @return empty when ready, or why not after {@code timeout} (the probe's last answer)
     */
    Optional<String> await(Duration timeout, Supplier<Optional<String>> gone) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastAnswer = "no answer";
        while (System.nanoTime() < deadline) {
            Optional<String> why = gone.get();
            if (why.isPresent()) {
                return why;
            }
            try {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                // 404: this node has no readiness probe, so there is nothing to wait for.
                if (response.statusCode() == 200 || response.statusCode() == 404) {
                    return Optional.empty();
                }
                lastAnswer = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                lastAnswer = e.toString();
            }
            Thread.sleep(PROBE_INTERVAL.toMillis());
        }
        return Optional.of(lastAnswer);
    }
}
