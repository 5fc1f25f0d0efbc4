package io.logkv.local;

import io.logkv.client.http.LogKvClient;
import java.net.http.HttpRequest;
import picocli.CommandLine.Option;

/**
 * {@code --api-key}: the credentials the commands that talk to a node send, for nodes that require them
 * ({@code Authorization: ApiKey <key>}); from {@code $LOGKV_API_KEY} by default, so that it stays out of
 * shell histories and process lists. Nothing is sent when neither is set (a node run open).
 */
final class ApiKeyOption {

    @Option(names = "--api-key", defaultValue = "${LOGKV_API_KEY:-}", paramLabel = "KEY",
            description = "The API key to send (default: $LOGKV_API_KEY; none when unset, for a node run open).")
    String apiKey;

    /** The request, with the key when one is set. */
    HttpRequest.Builder applyTo(HttpRequest.Builder request) {
        return isSet() ? request.header("Authorization", "ApiKey " + apiKey.strip()) : request;
    }

    /** The client, with the key when one is set. */
    LogKvClient.Builder applyTo(LogKvClient.Builder client) {
        return isSet() ? client.apiKey(apiKey.strip()) : client;
    }

    private boolean isSet() {
        return apiKey != null && !apiKey.isBlank();
    }
}
