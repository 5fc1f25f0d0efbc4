package io.logkv.local;

import io.logkv.client.http.ConditionFailedException;
import io.logkv.client.http.LogKvClient;
import io.logkv.client.http.LogKvException;
import java.io.PrintStream;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every key command takes: the node and namespace it talks to, its output and its time limit. */
final class KeyCommandOptions {

    @Option(names = "--url", defaultValue = "${LOGKV_URL:-http://localhost:8080}",
            description = "A LogKV node (default: $LOGKV_URL, else ${DEFAULT-VALUE}).")
    String url;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "The namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "30s", description = "Give up after this long, retries included (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Mixin
    ApiKeyOption credentials;

    LogKvClient client() {
        return credentials.applyTo(LogKvClient.builder().nodes(url).requestDeadline(KeyCommands.parseTtl(timeout))).build();
    }

    /** Runs {@code action} with a client; a problem LogKV answered (or no answer) is printed and gives its exit code. */
    int withClient(java.util.function.ToIntFunction<LogKvClient> action) {
        try (LogKvClient client = client()) {
            return action.applyAsInt(client);
        } catch (LogKvException e) {
            return problem(e, System.err);
        }
    }

    int problem(LogKvException e, PrintStream err) {
        err.println("logkv: " + e.getMessage());
        return e instanceof ConditionFailedException ? KeyCommands.NOT_FOUND : KeyCommands.FAILED;
    }
}
