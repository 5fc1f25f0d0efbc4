package io.logkv.benchmark;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * PUTs of 1 KiB values to fresh keys at a fixed rate against a running node, from this JVM (a process of
 * its own, beside {@code wrk}), each timed from when it was meant to be sent ({@link OpenLoop}): the
 * latency a user arriving at that rate sees, which a closed loop like {@code wrk} understates.
 *
 * <pre>OpenLoopPuts URL PER_SECOND SECONDS</pre>
 * Prints {@code rate=… done_per_s=… p50_ms=… p99_ms=… p999_ms=… errors=…}.
 */
public final class OpenLoopPuts {

    private static final int SENDERS = 512;

    private OpenLoopPuts() {
    }

    public static void main(String[] args) {
        String url = args[0];
        double perSecond = Double.parseDouble(args[1]);
        Duration measure = Duration.ofSeconds(Long.parseLong(args[2]));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        byte[][] values = new byte[64][];
        for (int i = 0; i < values.length; i++) {
            values[i] = Values.of(1024, i);
        }
        String prefix = url + "/v1/namespaces/default/keys/open-" + Long.toString(System.nanoTime(), 36) + "-";
        OpenLoop loop = new OpenLoop(Duration.ofSeconds(5), measure, SENDERS);
        RunSample sample = loop.run(perSecond, (client, sequence) -> {
            HttpResponse<Void> answer = http.send(HttpRequest.newBuilder(URI.create(prefix + sequence))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(values[ThreadLocalRandom.current().nextInt(values.length)]))
                    .build(), HttpResponse.BodyHandlers.discarding());
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("answered " + answer.statusCode());
            }
        });
        System.out.printf(Locale.ROOT, "rate=%.0f done_per_s=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f errors=%d%n",
                perSecond, sample.opsPerSecond(), sample.p50Micros() / 1000, sample.p99Micros() / 1000,
                sample.p999Micros() / 1000, sample.errors());
        System.exit(0);
    }
}
