package io.logkv.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the numbers were measured on: they mean little without it. */
final class MachineDescription {

    private MachineDescription() {
    }

    static String describe() {
        Runtime runtime = Runtime.getRuntime();
        return String.format(Locale.ROOT, "- CPU: %s, %d cores visible to the JVM (Runtime.availableProcessors)%n"
                        + "- Memory: %s; max heap: %d MiB%n- JDK: %s (%s %s)%n- OS: %s %s %s%n",
                cpuModel(), runtime.availableProcessors(), memory(), runtime.maxMemory() / (1024 * 1024),
                System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("java.vm.version"),
                System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
    }

    private static String cpuModel() {
        return procLine("/proc/cpuinfo", "model name").orElse("unknown CPU");
    }

    private static String memory() {
        return procLine("/proc/meminfo", "MemTotal").map(kb -> {
            long kib = Long.parseLong(kb.replaceAll("[^0-9]", ""));
            return String.format(Locale.ROOT, "%.1f GiB", kib / (1024.0 * 1024.0));
        }).orElse("unknown memory");
    }

    /** The value of the first "name : value" line of a /proc file. */
    private static java.util.Optional<String> procLine(String file, String name) {
        Path path = Path.of(file);
        if (!Files.isReadable(path)) {
            return java.util.Optional.empty();
        }
        try {
            return Files.readAllLines(path).stream().filter(line -> line.startsWith(name))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip()).findFirst();
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }
}
