package io.logkv.mirror;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mirror as its own JVM ({@link MirrorMain}, on this JVM's classpath), so that a test can kill it with
 * SIGKILL as a crash would: no shutdown hook, no abort, no close, a transaction left open. It exits
 * by itself when the test JVM is gone (its stdin, a pipe from this JVM, ends).
 */
final class MirrorProcess {

    private final List<String> arguments;
    private final Path log;
    private Process process;

    /** A mirror process whose runs all append to {@code log}, which starts empty (an earlier test run's is deleted). */
    MirrorProcess(List<String> arguments, Path log) throws IOException {
        this.arguments = List.copyOf(arguments);
        this.log = log;
        Files.deleteIfExists(log);
    }

    void start() throws IOException {
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", MirrorMain.class.getName(), "--exit-when-stdin-ends"));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = builder.start();
    }

    /** Waits until the log holds {@code count} lines containing {@code text} (across this process's runs). */
    void awaitLogLines(String text, int count, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (logLines(text) < count) {
            if (System.nanoTime() > deadline || !isAlive()) {
                throw new IllegalStateException("the mirror process did not log '" + text + "' " + count + " times; see " + log.toAbsolutePath());
            }
            Thread.sleep(50);
        }
    }

    private long logLines(String text) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log)) {
            return lines.filter(line -> line.contains(text)).count();
        }
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the mirror process " + process.pid() + " survived SIGKILL for 30 s");
        }
    }

    /** SIGTERM, and waits until the process has stopped (its mirror closed); fails if it takes over 60 s. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the mirror process " + process.pid() + " did not stop within 60 s of SIGTERM");
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    Path log() {
        return log;
    }
}
