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
            Duration.ofSeconds(30), 2));

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
                Duration.ofSeconds(30), 2));
        Map<String, String> headers = signedHeaders("GET", "/v1/admin/replicas", null);

        assertThat(other.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).contains("does not match");
        headers.remove(ApiHeaders.NODE_MAC);
        assertThat(signatures.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).contains("only nodes send them");
    }

    @Test
    void aRotatedSecretVerifiesUntilItIsRemoved() {
        Map<String, String> headers = signedHeaders("GET", "/v1/admin/replicas", null);
        NodeSignatures rotating = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n2",
                Map.of("n1", SECRET, "n2", "the next shared secret, thirty-two bytes"), Duration.ofSeconds(30), 2));
        NodeSignatures rotated = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n2",
                Map.of("n2", "the next shared secret, thirty-two bytes"), Duration.ofSeconds(30), 2));

        assertThat(rotating.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).isNull();
        assertThat(rotated.refusal("GET", "/v1/admin/replicas", headers::get, null, NOW)).contains("names no key");
    }

    /**
     * Version 2 covers what changes a request's outcome besides its internal headers: a condition, an idempotency key,
     * a content type or a token changed, added or removed on the way is refused.
     */
    @Test
    void aConditionIdempotencyKeyContentTypeOrTokenChangedAddedOrRemovedIsRefused() {
        byte[] body = "value".getBytes(StandardCharsets.UTF_8);
        String path = "/v1/namespaces/orders/keys/k";
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put(ApiHeaders.FORWARDED_BY, "node-a");
        headers.put("If-Match", "\"0192f3a1b2c30000a1b2c3d4\"");
        headers.put(ApiHeaders.IDEMPOTENCY_KEY, "order-17");
        headers.put("Content-Type", "text/plain; charset=utf-8");
        headers.put(ApiHeaders.TOKEN, "AAEC");
        headers.put(ApiHeaders.NODE_MAC, signatures.sign("PUT", path, headers::get, body, NOW));
        assertThat(headers.get(ApiHeaders.NODE_MAC)).startsWith("2 n1 ");
        assertThat(signatures.refusal("PUT", path, headers::get, body, NOW)).isNull();

        for (String header : new String[] {"If-Match", ApiHeaders.IDEMPOTENCY_KEY, "Content-Type", ApiHeaders.TOKEN}) {
            Map<String, String> changed = copy(headers);
            changed.put(header, headers.get(header) + "x");
            assertThat(signatures.refusal("PUT", path, changed::get, body, NOW)).as("changed " + header).contains("does not match");
            Map<String, String> removed = copy(headers);
            removed.remove(header);
            assertThat(signatures.refusal("PUT", path, removed::get, body, NOW)).as("removed " + header).contains("does not match");
        }
        Map<String, String> added = copy(headers);
        added.put("If-None-Match", "*");
        assertThat(signatures.refusal("PUT", path, added::get, body, NOW)).as("a condition added").contains("does not match");
        Map<String, String> emptied = copy(headers);
        emptied.put(ApiHeaders.IDEMPOTENCY_KEY, "");
        assertThat(signatures.refusal("PUT", path, emptied::get, body, NOW)).as("present but empty is not absent").contains("does not match");
    }

    /** Nodes of an earlier version sign with version 1: accepted, so that nodes can be upgraded one at a time. */
    @Test
    void aVersionOneMacFromANodeBeingUpgradedIsAcceptedButAVersionTwoMacCannotPassForOne() {
        NodeSignatures upgrading = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n1", Map.of("n1", SECRET), Duration.ofSeconds(30), 1));
        String path = "/v1/namespaces/orders/keys/k";
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put(ApiHeaders.FORWARDED_BY, "node-a");
        headers.put("If-Match", "\"0192f3a1b2c30000a1b2c3d4\"");
        headers.put(ApiHeaders.NODE_MAC, upgrading.sign("DELETE", path, headers::get, null, NOW));
        assertThat(headers.get(ApiHeaders.NODE_MAC)).startsWith("n1 ");
        assertThat(signatures.refusal("DELETE", path, headers::get, null, NOW)).isNull();

        headers.put(ApiHeaders.NODE_MAC, signatures.sign("DELETE", path, headers::get, null, NOW));
        Map<String, String> relabelled = copy(headers);
        relabelled.put(ApiHeaders.NODE_MAC, headers.get(ApiHeaders.NODE_MAC).substring(2));
        relabelled.remove("If-Match");
        assertThat(signatures.refusal("DELETE", path, relabelled::get, null, NOW)).contains("does not match");
        assertThat(signatures.refusal("DELETE", path, headers::get, null, NOW)).isNull();
    }

    private static Map<String, String> copy(Map<String, String> headers) {
        Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        copy.putAll(headers);
        return copy;
    }
}
