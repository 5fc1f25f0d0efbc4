package io.logkv.query;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.awaitility.Awaitility;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Watches a key written with a time to live until it expires, checking the API's promise: it reads as its
 * value until the {@code KV-Expires-At} it reports and as 404 from that instant on. The node runs in this
 * JVM and reads the same clock, so both sides of the instant are checked without a margin: a read answered
 * with the value must have begun before the expiry, a read answered 404 must have ended after it. (An
 * assertion failing inside the Awaitility condition ends the wait at once: only a {@code false} polls again.)
 */
final class ExpiringKey {

    private static final String EXPIRES_AT = "KV-Expires-At";

    private final LogKvNode node;
    private final String namespace;
    private final String key;
    private final String token;

    /** A key of {@code namespace} written with a time to live, read through {@code node} under the write's {@code token}. */
    ExpiringKey(LogKvNode node, String namespace, String key, String token) {
        this.node = node;
        this.namespace = namespace;
        this.key = key;
        this.token = token;
    }

    /**
     * Reads the key (waiting for the replica to reach the token) and returns the expiry it reports; checks
     * that it reads as {@code value} and that the expiry is {@code ttl} after the write: no earlier than
     * {@code ttl} after {@code writtenNotBefore}, no later than {@code ttl} after this read's answer.
     */
    Instant assertLiveWithExpiry(String value, Instant writtenNotBefore, Duration ttl) {
        HttpResponse<String> read = read();
        Instant answered = Instant.now();
        assertThat(read.statusCode()).as("%s read before it expires: %s", key, read.body()).isEqualTo(200);
        assertThat(read.body()).as(key).isEqualTo(value);
        String header = read.headers().firstValue(EXPIRES_AT).orElse(null);
        assertThat(header).as("%s carries %s", key, EXPIRES_AT).isNotNull();
        Instant expiresAt = Instant.parse(header);
        assertThat(expiresAt).as("expiry of %s", key)
                .isBetween(writtenNotBefore.plus(ttl).truncatedTo(ChronoUnit.MILLIS), answered.plus(ttl));
        return expiresAt;
    }

    /**
     * Reads the key every 50 ms until it answers 404 (at most {@code bound}), checking every answer against
     * {@code expiresAt}; then checks that it stays gone.
     */
    void assertExpiresAt(Instant expiresAt, String value, Duration bound) {
        long expiresAtMs = expiresAt.toEpochMilli();
        Awaitility.await().atMost(bound).pollInterval(Duration.ofMillis(50)).until(() -> {
            long startMs = System.currentTimeMillis();
            HttpResponse<String> read = read();
            long endMs = System.currentTimeMillis();
            if (read.statusCode() == 200) {
                assertThat(read.body()).as(key).isEqualTo(value);
                assertThat(startMs).as("%s read as its value %d ms after its expiry", key, startMs - expiresAtMs)
                        .isLessThan(expiresAtMs);
                return false;
            }
            assertThat(read.statusCode()).as("%s read: %s", key, read.body()).isEqualTo(404);
            assertThat(endMs).as("%s read as 404 %d ms before its expiry", key, expiresAtMs - endMs)
                    .isGreaterThanOrEqualTo(expiresAtMs);
            return true;
        });
        HttpResponse<String> again = read();
        assertThat(again.statusCode()).as("%s read again after it expired: %s", key, again.body()).isEqualTo(404);
    }

    private HttpResponse<String> read() {
        return node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(namespace, key) + "?wait_ms=10000"))
                .header("KV-Token", token).GET());
    }
}
