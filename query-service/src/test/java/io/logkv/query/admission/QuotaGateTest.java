package io.logkv.query.admission;

import io.github.bucket4j.TimeMeter;
import io.logkv.core.ApiHeaders;
import io.logkv.query.config.QuotaProperties;
import io.logkv.query.config.QuotaProperties.Rates;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Which requests are charged to which rate, and how a request over one is answered. */
class QuotaGateTest {

    private final MeterRegistry meters = new SimpleMeterRegistry();

    /** Every client may read once and write once a second: a second charge of either kind is refused. */
    private final QuotaGate gate = new QuotaGate(
            new QuotaBuckets(new QuotaProperties(new Rates(1L, 1L, null), new Rates(null, null, null), Map.of(), Map.of(), 100),
                    TimeMeter.SYSTEM_NANOTIME),
            new Refusals(meters), JsonMapper.builder().build());

    private MockHttpServletResponse send(String method, String uri, String client, String... headerAndValue) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest(method, uri);
        request.setRequestURI(uri);
        request.setRemoteAddr(client);
        for (int i = 0; i + 1 < headerAndValue.length; i += 2) {
            request.addHeader(headerAndValue[i], headerAndValue[i + 1]);
        }
        MockHttpServletResponse response = new MockHttpServletResponse();
        gate.doFilter(request, response, (passed, answer) -> ((MockHttpServletResponse) answer).setStatus(200));
        return response;
    }

    /** Whether a second request like this one, from the same client, is refused: whether the first was charged. */
    private boolean charged(String method, String uri, String client) throws Exception {
        assertThat(send(method, uri, client).getStatus()).isEqualTo(200);
        return send(method, uri, client).getStatus() == 429;
    }

    @Test
    void readsAndWritesOfKeysAreChargedToTheirOwnRates() throws Exception {
        assertThat(charged("GET", "/v1/namespaces/ns/keys/a", "10.0.0.1")).isTrue();
        assertThat(charged("PUT", "/v1/namespaces/ns/keys/a", "10.0.0.1")).isTrue();
        assertThat(charged("HEAD", "/v1/namespaces/ns/keys/a", "10.0.0.2")).isTrue();
        assertThat(charged("DELETE", "/v1/namespaces/ns/keys/a", "10.0.0.2")).isTrue();
    }

    @Test
    void batchGetsScansAndWatchesAreReads() throws Exception {
        assertThat(charged("POST", "/v1/namespaces/ns/batch-get", "10.0.0.3")).isTrue();
        assertThat(charged("GET", "/v1/namespaces/ns/keys", "10.0.0.4")).isTrue();
        assertThat(charged("GET", "/v1/namespaces/ns/watch", "10.0.0.5")).isTrue();
    }

    @Test
    void aPathWithPercentEncodedLettersIsChargedAsTheHandlerItReaches() throws Exception {
        assertThat(charged("GET", "/v1/namespaces/ns/%6Beys", "10.0.1.1")).isTrue();
        assertThat(charged("GET", "/v1/namespaces/ns/watc%68", "10.0.1.2")).isTrue();
        assertThat(charged("POST", "/v1/namespaces/ns/batch-ge%74", "10.0.1.3")).isTrue();
        assertThat(charged("HEAD", "/v1/namespaces/ns/keys", "10.0.1.4")).as("a HEAD reaches the scan's handler").isTrue();
    }

    @Test
    void administrationAndOtherPathsAreNotCharged() throws Exception {
        assertThat(charged("PUT", "/v1/namespaces/ns", "10.0.0.6")).isFalse();
        assertThat(charged("GET", "/v1/namespaces/ns", "10.0.0.6")).isFalse();
        assertThat(charged("GET", "/v1/namespaces", "10.0.0.6")).isFalse();
        assertThat(charged("POST", "/v1/internal/reads", "10.0.0.6")).isFalse();
        assertThat(charged("GET", "/v1/admin/replicas", "10.0.0.6")).isFalse();
        assertThat(charged("GET", "/actuator/health", "10.0.0.6")).isFalse();
    }

    @Test
    void aRequestAnotherNodeForwardedWasChargedWhereItCameInAndIsNotChargedAgain() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(send("GET", "/v1/namespaces/ns/keys/a", "10.0.0.7", ApiHeaders.FORWARDED_BY, "node-2").getStatus()).isEqualTo(200);
        }
    }

    @Test
    void aRequestOverItsRateIsAProblemWithRetryAfterAndIsCounted() throws Exception {
        send("GET", "/v1/namespaces/ns/keys/a", "10.0.0.8");
        MockHttpServletResponse refused = send("GET", "/v1/namespaces/ns/keys/a", "10.0.0.8");
        assertThat(refused.getStatus()).isEqualTo(429);
        assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
        assertThat(refused.getContentType()).isEqualTo("application/problem+json");
        assertThat(refused.getContentAsString()).contains("\"type\":\"/problems/over-quota\"", "'10.0.0.8' is limited to 1 reads/s");
        assertThat(meters.get(Refusals.METER).tags("reason", "over-quota", "limit", "client", "operation", "read").counter().count())
                .isEqualTo(1);
        // Another client's reads are its own.
        assertThat(send("GET", "/v1/namespaces/ns/keys/a", "10.0.0.9").getStatus()).isEqualTo(200);
    }
}
