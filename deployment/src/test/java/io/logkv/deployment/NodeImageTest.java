package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.KafkaTestCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node's container image runs: the tarball that local-cluster's {@code image} profile builds, unpacked
 * and started as a container runtime would start it ({@link UnpackedImage}), as its unprivileged user, with
 * nothing from the host but the kernel, its network, {@code /etc/hosts}, {@code /etc/resolv.conf} and the
 * basic devices ({@code /dev/null}, {@code /dev/urandom}, ...). Its node joins a real Kafka
 * cluster, opens its RocksDB replicas under the image's volume, becomes ready, serves a write and a read, and
 * passes docker-compose.yml's health check run inside the image.
 *
 * <p>Skipped where there is no tarball (build it first: docs/operations.md, "The container image") and where
 * a root directory and user cannot be changed (not root, no unshare).
 */
class NodeImageTest {

    private static final String TARBALL = "local-cluster/target/logkv-node-image.tar";
    private static final String BUILD = "mvn -B -Pimage,image-local-runtime -pl local-cluster -am package -DskipTests";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // The entrypoint leaves the node half the memory, which here is the test machine's; a container would have a limit.
    private static final Map<String, String> SMALL_HEAP = Map.of("JAVA_TOOL_OPTIONS", "-Xmx384m");

    private static UnpackedImage image;
    private static String skipped;

    @BeforeAll
    static void unpack() throws Exception {
        Path tarball = RepositoryFiles.path(TARBALL);
        String unavailable = UnpackedImage.unavailableBecause();
        if (!Files.isRegularFile(tarball)) {
            skipped = "skipped: no " + TARBALL + "; build it with " + BUILD;
        } else if (unavailable != null) {
            skipped = "skipped: cannot run the image here: " + unavailable;
        } else {
            image = UnpackedImage.unpack(tarball, Path.of("target", "node-image-root").toAbsolutePath());
            if (image.entrypoint().isEmpty() || image.locate(image.entrypoint().get(0)) == null) {
                skipped = "skipped: " + TARBALL + " has no " + (image.entrypoint().isEmpty() ? "entrypoint" : image.entrypoint().get(0))
                        + " (built with -Dlogkv.image.base=scratch alone, for inspection); build it with " + BUILD;
            }
        }
    }

    /** Each test, rather than the class, reports the skip: its reason then shows in the test report. */
    @BeforeEach
    void runnable() {
        Assumptions.assumeTrue(skipped == null, skipped);
    }

    @AfterAll
    static void removeRoot() {
        if (image != null) {
            image.close();
        }
    }

    @Test
    void javaRunsAsTheImagesUnprivilegedUser() throws Exception {
        assertThat(image.user()).isEqualTo("10001:10001");
        Run run = run(List.of(image.entrypoint().get(0), "-XshowSettings:properties", "-version"), Duration.ofSeconds(120));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("java.specification.version = ", "user.dir = " + image.workingDirectory());
        // Where the image names its user (the scratch image does; Temurin's has no user 10001), Java knows the name.
        Path passwd = image.inImage("/etc/passwd");
        if (Files.isRegularFile(passwd)) {
            Files.readAllLines(passwd).stream().map(line -> line.split(":")).filter(fields -> fields.length > 2
                    && fields[2].equals(image.user().split(":")[0])).findFirst()
                    .ifPresent(fields -> assertThat(run.output()).contains("user.name = " + fields[0]));
        }
    }

    @Test
    void entrypointAnswersHelpWithTheNodesOptions() throws Exception {
        List<String> command = new ArrayList<>(image.entrypoint());
        command.add("--help");
        Run run = run(command, Duration.ofSeconds(120));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("Usage: logkv node", "--bootstrap-servers");
    }

    @Test
    void nodeFromTheImageJoinsKafkaAndServesWritesFromItsVolume() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        int port = freePort();
        List<String> command = new ArrayList<>(image.entrypoint());
        command.addAll(List.of("--bootstrap-servers", kafka.bootstrapServers(), "--node-id", "image-node",
                "--port", String.valueOf(port), "--",
                "--logkv.security.mode=open", "--logkv.writer.group-id=image-node-writers",
                "--logkv.namespaces.bootstrap=image", "--logkv.namespaces.default-partitions=2",
                "--logkv.replicas.block-cache=16MB", "--logkv.replicas.write-buffers=8MB"));
        Path log = Path.of("target", "node-image.log").toAbsolutePath();
        Process node = image.command(command, SMALL_HEAP).redirectOutput(log.toFile()).start();
        try {
            String base = "http://localhost:" + port;
            // A first start replays nothing but creates its topics and joins the writers' group: seconds, or more on a busy machine.
            awaitStatus(node, log, HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness")).GET(), 200,
                    Duration.ofMinutes(3));
            awaitStatus(node, log, HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/image/keys/k"))
                    .PUT(HttpRequest.BodyPublishers.ofString("from the image")), 200, Duration.ofSeconds(60));
            String read = awaitStatus(node, log, HttpRequest.newBuilder(
                    URI.create(base + "/v1/namespaces/image/keys/k?consistency=strong")).GET(), 200, Duration.ofSeconds(60));
            assertThat(read).contains("from the image");

            // docker-compose.yml's health check, run in the image as Compose would run it (on this node's port).
            Run healthcheck = run(composeHealthcheck(port), Duration.ofSeconds(30));
            assertThat(healthcheck.exitCode()).as("health check in the image: " + healthcheck.output()).isZero();

            // The replicas are RocksDB files, written by the image's user under its volume (the working directory).
            Path data = image.inImage(image.workingDirectory()).resolve("data/image-node");
            assertThat(Files.getAttribute(data, "unix:uid")).isEqualTo(10001);
            try (Stream<Path> files = Files.walk(data)) {
                assertThat(files.map(file -> file.getFileName().toString())).anyMatch(name -> name.endsWith(".sst")
                        || name.startsWith("MANIFEST-"));
            }
        } finally {
            stop(node, log);
        }
        // SIGTERM makes the node hand its partitions over and exit by itself (143: the JVM's exit on SIGTERM).
        assertThat(node.exitValue()).as(tail(log)).isIn(0, 143);
    }

    private record Run(int exitCode, String output) {
    }

    /** The node's health check in docker-compose.yml (exec form: its programs must be in the image), aimed at {@code port}. */
    private static List<String> composeHealthcheck(int port) {
        ComposeFile.Service service = ComposeFile.load().service("logkv-1");
        String composePort = ComposeFile.load().node("logkv-1").option("port");
        List<String> test = ((List<?>) ((Map<?, ?>) service.definition().get("healthcheck")).get("test")).stream()
                .map(String::valueOf).toList();
        assertThat(test.get(0)).as("logkv-1's health check runs without a shell").isEqualTo("CMD");
        return test.subList(1, test.size()).stream().map(argument -> argument.replace("/" + composePort, "/" + port)).toList();
    }

    private static Run run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process process = image.command(command, SMALL_HEAP).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish within " + timeout + ":\n" + output);
        }
        return new Run(process.exitValue(), output);
    }

    private static String awaitStatus(Process node, Path log, HttpRequest.Builder request, int status, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!node.isAlive()) {
                throw new AssertionError("the node exited with " + node.exitValue() + ":\n" + tail(log));
            }
            try {
                HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == status) {
                    return response.body();
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException notListeningYet) {
                last = notListeningYet.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError(request.build().uri() + " did not answer " + status + " within " + timeout
                + " (last: " + last + "):\n" + tail(log));
    }

    /** SIGTERM to the node's JVM, which is the namespace's first process as it would be a container's. */
    private static void stop(Process unshare, Path log) throws InterruptedException {
        unshare.toHandle().children().forEach(ProcessHandle::destroy);
        if (!unshare.waitFor(60, TimeUnit.SECONDS)) {
            unshare.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            unshare.destroyForcibly();
            unshare.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the node did not stop within 60 s of SIGTERM:\n" + tail(log));
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
