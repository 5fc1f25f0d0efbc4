package io.logkv.benchmark;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The speed target of the read path: a local redis-server (no persistence) driven by redis-benchmark
 * with the same value size, key space and client count, when both are installed. Its client is C and
 * pipelines nothing, on the same cores as the server, as LogKV's load generator is.
 */
final class RedisBaseline implements AutoCloseable {

    /** One redis-benchmark test's figures. */
    record Figures(double opsPerSecond, double p50Ms, double p99Ms) {
    }

    private final Process server;
    private final int port;

    private RedisBaseline(Process server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Starts redis-server on a free port, or returns null when redis-server or redis-benchmark is missing. */
    static RedisBaseline startIfInstalled() throws IOException {
        if (onPath("redis-server") == null || onPath("redis-benchmark") == null) {
            return null;
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--save", "",
                "--appendonly", "no", "--bind", "127.0.0.1").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return new RedisBaseline(server, port);
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    server.destroy();
                    throw new IOException("redis-server did not listen on " + port);
                }
                Pause.millis(50);
            }
        }
    }

    static String version() {
        try {
            Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Runs SET then GET over {@code keys} random keys; returns the figures of each, by test name. */
    Map<String, Figures> run(int clients, int valueBytes, long keys, long requests) throws IOException, InterruptedException {
        Process benchmark = new ProcessBuilder("redis-benchmark", "-p", Integer.toString(port), "-t", "set,get",
                "-n", Long.toString(requests), "-c", Integer.toString(clients), "-d", Integer.toString(valueBytes),
                "-r", Long.toString(keys), "--csv").redirectErrorStream(true).start();
        String output = new String(benchmark.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (benchmark.waitFor() != 0) {
            throw new IOException("redis-benchmark failed: " + output);
        }
        return parseCsv(output);
    }

    /** redis-benchmark 7's --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",… */
    static Map<String, Figures> parseCsv(String csv) {
        Map<String, Figures> figures = new HashMap<>();
        for (String line : csv.split("\\R")) {
            List<String> cells = List.of(line.replace("\"", "").split(","));
            if (cells.size() >= 7 && !cells.get(0).equals("test")) {
                figures.put(cells.get(0), new Figures(Double.parseDouble(cells.get(1)), Double.parseDouble(cells.get(4)),
                        Double.parseDouble(cells.get(6))));
            }
        }
        return figures;
    }

    private static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.destroy();
        try {
            server.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
