package io.logkv.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Kafka's MirrorMaker 2 in dedicated mode, from the source region to the target, in a JVM of its own as
 * {@code connect-mirror-maker.sh} would start it, on the classpath that {@code benchmark/mirrormaker/pom.xml}
 * resolves. Its output goes to {@code mirror-maker-<namespace>.log} in the temporary directory.
 */
final class MirrorMakerProcess {

    private final String source;
    private final String target;

    MirrorMakerProcess(String source, String target) {
        this.source = source;
        this.target = target;
    }

    /** Starts MirrorMaker 2 copying {@code topic}; the caller destroys the process. */
    Process start(LoadedTopic topic) throws IOException {
        Path properties = Files.createTempFile("mirror-maker-", ".properties");
        StringBuilder text = new StringBuilder();
        config(topic.topic()).forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        Files.writeString(properties, text, StandardCharsets.UTF_8);
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "mirror-maker-" + topic.namespace().value() + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx1g", "-cp", classpath(),
                "org.apache.kafka.connect.mirror.MirrorMaker", properties.toString(), "--clusters", "b")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** MirrorMaker 2's classpath, resolved once by Maven with Kafka's own dependency versions. */
    private static String classpath() throws IOException {
        Path pom = root().resolve("benchmark/mirrormaker/pom.xml");
        Path file = root().resolve("benchmark/mirrormaker/target/classpath.txt");
        if (!Files.exists(file)) {
            System.out.println("resolving MirrorMaker 2's classpath (benchmark/mirrormaker/pom.xml)…");
            try {
                int exit = new ProcessBuilder("mvn", "-q", "-B", "-f", pom.toString(), "dependency:build-classpath")
                        .inheritIO().start().waitFor();
                if (exit != 0 || !Files.exists(file)) {
                    throw new IOException("could not resolve MirrorMaker 2's classpath (mvn exited " + exit + ")");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while resolving MirrorMaker 2's classpath", e);
            }
        }
        return Files.readString(file).strip();
    }

    /** The repository's root: bin/logkv points the reports at its bench/results (else the working directory's). */
    private static Path root() {
        Path results = Path.of(System.getProperty("logkv.bench.results", "bench/results")).toAbsolutePath();
        return results.getParent().getParent();
    }

    /**
     * MirrorMaker 2 as the Kafka documentation configures exactly-once mirroring in dedicated mode: exactly-once
     * source support on the target's workers (which needs the internal REST server of KIP-710), records kept
     * under the same topic name, and a source consumer that reads only committed transactions. Heartbeats,
     * checkpoints and group offset sync are off: LogKV's mirror does none of them either.
     */
    private Map<String, String> config(String topic) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("clusters", "a, b");
        props.put("a.bootstrap.servers", source);
        props.put("b.bootstrap.servers", target);
        props.put("a->b.enabled", "true");
        props.put("b->a.enabled", "false");
        props.put("a->b.topics", topic.replace(".", "\\."));
        props.put("replication.policy.class", "org.apache.kafka.connect.mirror.IdentityReplicationPolicy");
        props.put("b.exactly.once.source.support", "enabled");
        props.put("dedicated.mode.enable.internal.rest", "true");
        props.put("listeners", "http://localhost:18083");
        props.put("a.consumer.isolation.level", "read_committed");
        props.put("replication.factor", "3");
        props.put("offset-syncs.topic.replication.factor", "3");
        props.put("heartbeats.topic.replication.factor", "3");
        props.put("checkpoints.topic.replication.factor", "3");
        props.put("config.storage.replication.factor", "3");
        props.put("offset.storage.replication.factor", "3");
        props.put("status.storage.replication.factor", "3");
        props.put("emit.heartbeats.enabled", "false");
        props.put("emit.checkpoints.enabled", "false");
        props.put("sync.group.offsets.enabled", "false");
        props.put("sync.topic.acls.enabled", "false");
        props.put("refresh.topics.interval.seconds", "1");
        props.put("tasks.max", "1");
        props.put("b.producer.compression.type", "lz4");
        return props;
    }
}
