package io.logkv.client.http;

import java.net.http.HttpRequest;
import java.util.function.Supplier;

/** The {@code Authorization} header the client sends with every request, if any. */
final class Credentials {

    /** No credentials: for nodes that run open. */
    static final Credentials NONE = new Credentials(null, null);

    private final String scheme;
    private final Supplier<String> secret;

    private Credentials(String scheme, Supplier<String> secret) {
        this.scheme = scheme;
        this.secret = secret;
    }

    static Credentials of(String scheme, Supplier<String> secret) {
        return new Credentials(scheme, secret);
    }

    /** Adds the header to a request being built. */
    HttpRequest.Builder applyTo(HttpRequest.Builder request) {
        if (scheme == null) {
            return request;
        }
        String value = secret.get();
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("the client's " + scheme + " credentials are empty");
        }
        return request.header("Authorization", scheme + " " + value.strip());
    }
}
