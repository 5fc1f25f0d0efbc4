package io.logkv.query.admission;

import io.logkv.query.config.SheddingProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class LoadSheddingTest {

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final Refusals refusals = new Refusals(meters);

    private LoadShedding shedding(int maxActive) {
        return shedding(maxActive, 0);
    }

    private LoadShedding shedding(int maxActive, int maxActiveLarge) {
        return new LoadShedding(new SheddingProperties(maxActive, Duration.ofSeconds(2), DataSize.ofKilobytes(64), maxActiveLarge,
                DataSize.ofMegabytes(128)),
                refusals, JsonMapper.builder().build(), meters);
    }

    private static MockHttpServletRequest put(String uri, int bodyBytes) {
        MockHttpServletRequest request = new MockHttpServletRequest("PUT", uri);
        request.setRequestURI(uri);
        request.setContent(new byte[bodyBytes]);
        return request;
    }

    @Test
    void requestsWithLargeBodiesBeyondTheirOwnBoundAreRefusedAtOnceWhileSmallOnesAreServed() throws Exception {
        LoadShedding shedding = shedding(10, 1);
        List<String> served = new ArrayList<>();
        MockHttpServletResponse refused = new MockHttpServletResponse();
        // One 1 MiB PUT is being worked on; a second one arrives, then a small PUT and a GET.
        shedding.doFilter(put("/v1/namespaces/ns/keys/big-1", 1 << 20), new MockHttpServletResponse(), (first, firstAnswer) -> {
            served.add("big-1");
            shedding.doFilter(put("/v1/namespaces/ns/keys/big-2", 1 << 20), refused, (never, neverAnswer) -> served.add("big-2"));
            shedding.doFilter(put("/v1/namespaces/ns/keys/small", 100), new MockHttpServletResponse(), (r, a) -> served.add("small"));
            shedding.doFilter(get("/v1/namespaces/ns/keys/read"), new MockHttpServletResponse(), (r, a) -> served.add("read"));
        });
        assertThat(served).containsExactly("big-1", "small", "read");
        assertThat(refused.getStatus()).isEqualTo(503);
        assertThat(refused.getHeader("Retry-After")).isEqualTo("2");
        assertThat(refused.getContentAsString()).contains("/problems/overloaded").contains("logkv.shedding.max-active-large");
        assertThat(meters.get(Refusals.METER).tag("limit", "active-large-requests").counter().count()).isEqualTo(1);
        // Done with, the large place is free again.
        shedding.doFilter(put("/v1/namespaces/ns/keys/big-3", 1 << 20), new MockHttpServletResponse(), (r, a) -> served.add("big-3"));
        assertThat(served).endsWith("big-3");
        assertThat(shedding.active()).isZero();
    }

    private static MockHttpServletRequest get(String uri) {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", uri);
        request.setRequestURI(uri);
        return request;
    }

    @Test
    void requestsBeyondTheBoundAreRefusedAtOnceWhileTheAdmittedOnesAreServed() throws Exception {
        LoadShedding shedding = shedding(2);
        List<MockHttpServletResponse> refused = new ArrayList<>();
        List<String> served = new ArrayList<>();
        // Two requests are being worked on (the second inside the first's chain); a third and a fourth arrive meanwhile.
        shedding.doFilter(get("/v1/namespaces/ns/keys/a"), new MockHttpServletResponse(), (first, firstAnswer) -> {
            served.add("a");
            shedding.doFilter(get("/v1/namespaces/ns/keys/b"), new MockHttpServletResponse(), (second, secondAnswer) -> {
                served.add("b");
                assertThat(meters.get(LoadShedding.ACTIVE_METER).gauge().value()).isEqualTo(2);
                for (String key : List.of("c", "d")) {
                    MockHttpServletResponse answer = new MockHttpServletResponse();
                    shedding.doFilter(get("/v1/namespaces/ns/keys/" + key), answer, (never, neverAnswer) -> served.add(key));
                    refused.add(answer);
                }
            });
        });
        assertThat(served).containsExactly("a", "b");
        assertThat(refused).hasSize(2).allSatisfy(answer -> {
            assertThat(answer.getStatus()).isEqualTo(503);
            assertThat(answer.getHeader("Retry-After")).isEqualTo("2");
            assertThat(answer.getContentType()).isEqualTo("application/problem+json");
            assertThat(answer.getContentAsString()).contains("\"type\":\"/problems/overloaded\"");
        });
        assertThat(meters.get(Refusals.METER).tag("reason", "overloaded").tag("limit", "active-requests").counter().count()).isEqualTo(2);
        // Done with, the places are free again.
        assertThat(shedding.active()).isZero();
        MockHttpServletResponse later = new MockHttpServletResponse();
        shedding.doFilter(get("/v1/namespaces/ns/keys/e"), later, (request, answer) -> served.add("e"));
        assertThat(served).containsExactly("a", "b", "e");
    }

    @Test
    void aRequestThatFailsGivesItsPlaceBack() {
        LoadShedding shedding = shedding(1);
        try {
            shedding.doFilter(get("/v1/namespaces"), new MockHttpServletResponse(), (request, answer) -> {
                throw new IllegalStateException("boom");
            });
        } catch (Exception expected) {
            assertThat(expected).hasMessage("boom");
        }
        assertThat(shedding.active()).isZero();
    }

    @Test
    void healthProbesAndTheActuatorAreNeverRefused() throws Exception {
        LoadShedding shedding = shedding(1);
        List<String> served = new ArrayList<>();
        shedding.doFilter(get("/v1/namespaces"), new MockHttpServletResponse(), (request, answer) -> {
            for (String path : List.of("/actuator/health/readiness", "/actuator/prometheus")) {
                shedding.doFilter(get(path), new MockHttpServletResponse(), (probe, probeAnswer) -> served.add(path));
            }
        });
        assertThat(served).containsExactly("/actuator/health/readiness", "/actuator/prometheus");
    }

    @Test
    void withoutABoundNothingIsRefused() throws Exception {
        LoadShedding shedding = shedding(0);
        int[] depth = new int[1];
        nest(shedding, depth, 500);
        assertThat(depth[0]).isEqualTo(500);
        assertThat(meters.get(Refusals.METER).tag("reason", "overloaded").counter().count()).isZero();
    }

    private static void nest(LoadShedding shedding, int[] depth, int levels) throws Exception {
        shedding.doFilter(get("/v1/namespaces/ns/keys/k"), new MockHttpServletResponse(), (request, answer) -> {
            depth[0]++;
            if (depth[0] < levels) {
                try {
                    nest(shedding, depth, levels);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
    }
}
