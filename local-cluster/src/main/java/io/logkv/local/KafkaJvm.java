package io.logkv.local;

import io.logkv.core.LauncherWatchdog;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a child JVM of the local Kafka cluster is launched: which {@code java}, which classpath (Kafka's
 * jars with log4j2, written by the build to {@code local-cluster/target/classpath/kafka-broker.txt}) and
 * which JVM options.
 */
public record KafkaJvm(Path javaBinary, List<Path> classpath, List<String> jvmOptions) {

    /** Names the file with the brokers' classpath when it is not next to this module's classes. */
    public static final String CLASSPATH_FILE_PROPERTY = "logkv.kafka.classpath";

    /** Small heaps: three brokers and a LogKV node share a developer's machine. */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of(
            "-Xms128m", "-Xmx384m",
            // Kafka's own defaults (bin/kafka-run-class.sh), for short pauses.
            "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true");

    public KafkaJvm {
        classpath = List.copyOf(classpath);
        jvmOptions = List.copyOf(jvmOptions);
    }

    /** The JVM running this code, with the brokers' classpath that the Maven build wrote. */
    public static KafkaJvm fromBuild() throws IOException {
        Path classpathFile = classpathFile();
        if (!Files.isRegularFile(classpathFile)) {
            throw new IllegalStateException("the Kafka brokers' classpath " + classpathFile + " is missing;"
                    + " build the project first (bin/logkv does: mvn -DskipTests install)");
        }
        List<Path> classpath = new ArrayList<>();
        // This module's own classes carry KafkaBrokerMain, the entry point that watches the launcher, and the
        // core's carry the watchdog it starts (the build's list leaves out every LogKV jar).
        classpath.add(codeSourceOf(KafkaJvm.class));
        classpath.add(codeSourceOf(LauncherWatchdog.class));
        Arrays.stream(Files.readString(classpathFile).trim().split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(Path::of)
                .forEach(classpath::add);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new KafkaJvm(java, classpath, DEFAULT_JVM_OPTIONS);
    }

    /** The JDK's {@code keytool} beside this {@code java}, which makes a secure cluster's certificate. */
    public Path keytool() {
        return javaBinary.resolveSibling("keytool");
    }

    /**
     * A process running {@code mainClass} with these system properties. The classpath goes through the
     * environment rather than the command line so that {@code ps} stays readable.
     */
    ProcessBuilder process(String mainClass, Map<String, String> systemProperties, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(javaBinary.toString());
        command.addAll(jvmOptions);
        systemProperties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add(mainClass);
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("CLASSPATH", String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()));
        // Options meant for the launcher (e.g. a debugger agent) must not leak into the brokers.
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("JDK_JAVA_OPTIONS");
        return builder;
    }

    private static Path classpathFile() {
        return Optional.ofNullable(System.getProperty(CLASSPATH_FILE_PROPERTY))
                .map(Path::of)
                // Running from local-cluster/target/classes: the build wrote target/classpath beside it.
                .orElseGet(() -> codeSourceOf(KafkaJvm.class).resolveSibling("classpath").resolve("kafka-broker.txt"));
    }

    private static Path codeSourceOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the classes of " + type.getName(), e);
        }
    }
}
