package io.logkv.benchmark;

import io.logkv.core.ApiHeaders;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * LogKV's key API (API.md) over real HTTP/1.1 with the JDK's client, as any Java user would call it.
 * Every call fails with an exception unless the status is the success the API promises.
 */
final class HttpKeys {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http;
    private final String baseUrl;

    HttpKeys(String baseUrl) {
        this.baseUrl = baseUrl;
        // HTTP/1.1 explicitly: the default (HTTP/2) sends an h2c upgrade offer with every new connection.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The answer to a write: the new version (ETag without quotes) and the token. */
    record Written(String version, String token) {
    }

    Written put(String namespace, String key, byte[] value, boolean onlyIfAbsent) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(keyUri(namespace, key)).timeout(TIMEOUT)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(value));
        if (onlyIfAbsent) {
            request.header("If-None-Match", "*");
        }
        HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        expect(response, 200);
        String etag = response.headers().firstValue("ETag").orElse("");
        return new Written(etag.replace("\"", ""), response.headers().firstValue(ApiHeaders.TOKEN).orElse(""));
    }

    byte[] get(String namespace, String key) throws IOException, InterruptedException {
        return expect(http.send(HttpRequest.newBuilder(keyUri(namespace, key)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray()), 200).body();
    }

    /** A read of {@code path} whose answer must be 200, whatever it holds (the empty-handler baseline). */
    byte[] getPath(String path) throws IOException, InterruptedException {
        return expect(http.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray()), 200).body();
    }

    /** A read at {@code consistency} carrying {@code token}; returns the version (ETag) it found, or the status. */
    HttpResponse<Void> getWithToken(String namespace, String key, String consistency, String token)
            throws IOException, InterruptedException {
        URI uri = URI.create(keyUri(namespace, key) + "?consistency=" + consistency);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
        if (!token.isEmpty()) {
            request.header(ApiHeaders.TOKEN, token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding());
    }

    /** The status of {@code path}, or -1 when nothing answers. */
    int status(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String text(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    int putNamespace(String namespace, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/namespaces/" + namespace)).timeout(TIMEOUT)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private URI keyUri(String namespace, String key) {
        return URI.create(baseUrl + "/v1/namespaces/" + namespace + "/keys/"
                + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20"));
    }

    private static <T> HttpResponse<T> expect(HttpResponse<T> response, int status) {
        if (response.statusCode() != status) {
            // The kind of failure first (what ClosedLoop counts by), the request after it.
            throw new IllegalStateException(response.request().method() + " answered " + response.statusCode()
                    + " instead of " + status + " (" + response.uri() + ")");
        }
        return response;
    }
}
