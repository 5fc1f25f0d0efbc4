package io.logkv.local;

import io.logkv.client.http.Consistency;
import io.logkv.client.http.LogKvClient;
import picocli.CommandLine.Option;

/** How current a key command's read must be: {@code --consistency}. */
final class ReadConsistencyOption {

    @Option(names = "--consistency", defaultValue = "eventual", description = "eventual, session or strong (default: ${DEFAULT-VALUE}).")
    String consistency;

    /** Runs {@code action} with a client at the chosen consistency; a name that is none is a usage error. */
    int withClient(KeyCommandOptions target, java.util.function.ToIntBiFunction<LogKvClient, Consistency> action) {
        Consistency level;
        try {
            level = Consistency.valueOf(consistency.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            System.err.println("logkv: --consistency must be eventual, session or strong, not " + consistency);
            return KeyCommands.USAGE;
        }
        return target.withClient(client -> action.applyAsInt(client, level));
    }
}
