package io.logkv.query.api;

import io.logkv.query.LogKvProperties;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;

/**
 * Requests this node passes on to its peers: a write to its partition's owner, a read to a node holding
 * a replica. A passed-on request carries {@value #FORWARDED_HEADER}, so that it is never passed on again.
 */
@Component
public class Peers {

    /** Marks a forwarded request, so it is never forwarded twice. */
    public static final String FORWARDED_HEADER = "KV-Forwarded-By";

    // HTTP/1.1: the default (HTTP/2) sends an h2c upgrade request that a plain HTTP/1.1 server ignores, every time.
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();
    private final String nodeId;

    public Peers(LogKvProperties props) {
        this.nodeId = props.nodeId();
    }

    /** Sends a request to the peer at {@code baseUrl}; fails when the peer does not answer in {@code timeout}. */
    public CompletableFuture<HttpResponse<byte[]>> send(String baseUrl, ForwardedRequest request, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + request.pathAndQuery()))
                .timeout(timeout)
                .method(request.method(), request.body() == null
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(request.body()))
                .header(FORWARDED_HEADER, nodeId);
        request.headers().forEach(builder::header);
        return http.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A peer's answer as this node's answer, with the named headers. */
    public static ResponseEntity<byte[]> relay(HttpResponse<byte[]> response, List<String> headerNames) {
        HttpHeaders headers = new HttpHeaders();
        for (String name : headerNames) {
            response.headers().firstValue(name).ifPresent(value -> headers.set(name, value));
        }
        byte[] bytes = response.body();
        return new ResponseEntity<>(bytes == null || bytes.length == 0 ? null : bytes, headers, HttpStatus.valueOf(response.statusCode()));
    }

    /** What is needed to replay a request on another node, taken while the servlet request is still valid. */
    public record ForwardedRequest(String method, String pathAndQuery, Map<String, String> headers, byte[] body,
                                   String forwardedBy) {

        /** The request, with the named headers (repeated values joined by commas). */
        public static ForwardedRequest of(HttpServletRequest request, byte[] body, List<String> headerNames) {
            Map<String, String> headers = new LinkedHashMap<>();
            for (String name : headerNames) {
                List<String> values = Collections.list(request.getHeaders(name));
                if (!values.isEmpty()) {
                    headers.put(name, String.join(", ", values));
                }
            }
            String query = request.getQueryString();
            return new ForwardedRequest(request.getMethod(), request.getRequestURI() + (query == null ? "" : "?" + query),
                    headers, body, request.getHeader(FORWARDED_HEADER));
        }

        /** The same request with another body. */
        public ForwardedRequest withBody(byte[] newBody) {
            return new ForwardedRequest(method, pathAndQuery, headers, newBody, forwardedBy);
        }
    }
}
