package io.logkv.query.security;

import io.logkv.core.ApiHeaders;
import io.logkv.query.config.NodeSecurityProperties;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NodeSignaturesTest {

    private static final String SECRET = "a shared secret of thirty-two bytes or more";
    private static final long NOW = 1_700_000_000_000L;
    private final NodeSignatures signatures = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n1", Map.of("n1", SECRET),
            Duration.ofSeconds(30)));

    private Map<String, String> signedHeaders(String method, String path, byte[] body) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put(ApiHeaders.FORWARDED_BY, "node-a");
        headers.put(ApiHeaders.CALLER, "app read:orders-*");
        headers.put(ApiHeaders.TIME_LEFT_MS, "900");
        headers.put(ApiHeaders.NODE_MAC, signatures.sign(method, path, headers::get, body, NOW));
        return headers;
    }

    @Test
    void aSignedRequestIsAcceptedWithinTheClockSkew() {
        byte[] body = "value".getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = signedHeaders("PUT", "/v1/namespaces/orders/keys/k?ttl=1h", body);

        assertThat(signatures.refusal("PUT", "/v1/namespaces/orders/keys/k?ttl=1h", headers::get, body, NOW + 29_000)).isNull();
        assertThat(signatures.refusal("PUT", "/v1/namespaces/orders/keys/k?ttl=1h", headers::get, body, NOW + 31_000))
                .contains("clock skew");
    }

    @Test
    void anythingChangedInTheRequestIsRefused() {
        byte[] body = "value".getBytes(StandardCharsets.UTF_8);
        String path = "/v1/namespaces/orders/keys/k";
        Map<String, String> headers = signedHeaders("PUT", path, body);

        assertThat(signatures.refusal("DELETE", path, headers::get, body, NOW)).contains("does not match");
        assertThat(signatures.refusal("PUT", path + "2", headers::get, body, NOW)).contains("does not match");
        assertThat(signatures.refusal("PUT", path, headers::get, "valuE".getBytes(StandardCharsets.UTF_8), NOW)).contains("does not match");
        for (String header : new String[] {ApiHeaders.CALLER, ApiHeaders.FORWARDED_BY, ApiHeaders.TIME_LEFT_MS}) {
            Map<String, String> altered = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            altered.putAll(headers);
            altered.put(header, "admin:*");
            assertThat(signatures.refusal("PUT", path, altered::get, body, NOW)).as(header).contains("does not match");
        }
    }

    @Test
    void anotherSecretOrNoMacIsRefused() {
        NodeSignatures other = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n1", Map.of("n1", "another secret, also thirty-two bytes long"),
                Duration.ofSeconds(30)));
        Map<String, String> headers = signedHeaders("GET", "/v1/admin/replicas", null);

        assertThat(other.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).contains("does not match");
        headers.remove(ApiHeaders.NODE_MAC);
        assertThat(signatures.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).contains("only nodes send them");
    }

    @Test
    void aRotatedSecretVerifiesUntilItIsRemoved() {
        Map<String, String> headers = signedHeaders("GET", "/v1/admin/replicas", null);
        NodeSignatures rotating = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n2",
                Map.of("n1", SECRET, "n2", "the next shared secret, thirty-two bytes"), Duration.ofSeconds(30)));
        NodeSignatures rotated = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n2",
                Map.of("n2", "the next shared secret, thirty-two bytes"), Duration.ofSeconds(30)));

        assertThat(rotating.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).isNull();
        assertThat(rotated.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).contains("names no key");
    }
}
