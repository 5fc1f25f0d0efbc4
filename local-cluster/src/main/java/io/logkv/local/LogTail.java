package io.logkv.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The last lines of a child process's log files, stack frames left out, to explain why it failed. */
final class LogTail {

    private LogTail() {
    }

    /**
     * The last {@code lines} messages of each file that exists, each under a {@code --- path} heading;
     * empty when none has any.
     */
    static String of(int lines, List<Path> files) {
        StringBuilder tail = new StringBuilder();
        for (Path file : files) {
            List<String> messages;
            try {
                messages = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                        .filter(line -> !line.isBlank() && !line.startsWith("\t") && !line.startsWith("    at "))
                        .toList();
            } catch (IOException missingOrUnreadable) {
                continue;
            }
            if (!messages.isEmpty()) {
                tail.append("--- ").append(file).append('\n');
                messages.subList(Math.max(0, messages.size() - lines), messages.size())
                        .forEach(line -> tail.append(line).append('\n'));
            }
        }
        return tail.toString();
    }
}
