package io.logkv.query.security;

import io.logkv.core.ApiHeaders;
import io.logkv.query.config.NodeSecurityProperties;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request carrying internal headers has its body read (to check the node's MAC over it) only once everything that
 * can be told without it holds: a client does not get to make a node buffer a body by sending a made-up MAC.
 */
class NodeRequestsTest {

    private static final String SECRET = "a shared secret of thirty-two bytes or more";
    private static final int MAX_BODY = 1 << 20;

    private final NodeSignatures signatures = new NodeSignatures(new NodeSecurityProperties.NodeKeys("n1", Map.of("n1", SECRET),
            Duration.ofSeconds(30), 2));
    private final NodeRequests filter = new NodeRequests(signatures, new ProblemResponses(JsonMapper.builder().build()), MAX_BODY);
    private final AtomicBoolean bodyRead = new AtomicBoolean();

    @Test
    void aMacNamingNoKeyThisNodeHoldsIsRefusedBeforeTheBodyIsRead() throws Exception {
        MockHttpServletResponse response = send(request("PUT", "/v1/namespaces/orders/keys/k", "unknown " + System.currentTimeMillis() + " x"));

        assertThat(response.getStatus()).isEqualTo(403);
        assertThat(response.getContentAsString()).contains("names no key");
        assertThat(bodyRead).isFalse();
    }

    @Test
    void aMacMadeOutsideTheClockSkewIsRefusedBeforeTheBodyIsRead() throws Exception {
        MockHttpServletResponse response = send(request("PUT", "/v1/namespaces/orders/keys/k", "n1 " + (System.currentTimeMillis() - 60_000) + " x"));

        assertThat(response.getStatus()).isEqualTo(403);
        assertThat(bodyRead).isFalse();
    }

    @Test
    void internalHeadersOnAPathNodesDoNotSendToAreRefusedBeforeTheBodyIsRead() throws Exception {
        MockHttpServletResponse response = send(request("POST", "/anything", "n1 " + System.currentTimeMillis() + " x"));

        assertThat(response.getStatus()).isEqualTo(403);
        assertThat(response.getContentAsString()).contains("/v1/");
        assertThat(bodyRead).isFalse();
    }

    @Test
    void aBodyOfUndeclaredOrTooLargeLengthIsRefusedBeforeItIsRead() throws Exception {
        MockHttpServletRequest chunked = request("PUT", "/v1/namespaces/orders/keys/k", "n1 " + System.currentTimeMillis() + " x");
        chunked.addHeader("Transfer-Encoding", "chunked");
        assertThat(send(chunked).getStatus()).isEqualTo(403);

        MockHttpServletRequest large = request("PUT", "/v1/namespaces/orders/keys/k", "n1 " + System.currentTimeMillis() + " x");
        large.addHeader("Content-Length", String.valueOf(MAX_BODY + 1));
        assertThat(send(large).getStatus()).isEqualTo(413);
        assertThat(bodyRead).isFalse();
    }

    @Test
    void aRequestWhoseHeaderHoldsHasItsBodyReadAndItsMacChecked() throws Exception {
        MockHttpServletRequest forged = request("PUT", "/v1/namespaces/orders/keys/k", "n1 " + System.currentTimeMillis() + " x");
        forged.addHeader("Content-Length", "5");
        MockHttpServletResponse response = send(forged);

        assertThat(response.getStatus()).isEqualTo(403);
        assertThat(response.getContentAsString()).contains("does not match");
        assertThat(bodyRead).as("only this one gets as far as its body").isTrue();
    }

    private MockHttpServletRequest request(String method, String path, String mac) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, path) {
            @Override
            public long getContentLengthLong() {
                String declared = getHeader("Content-Length"); // as a container reads it
                return declared == null ? -1 : Long.parseLong(declared);
            }

            @Override
            public ServletInputStream getInputStream() {
                bodyRead.set(true);
                byte[] body = "value".getBytes(StandardCharsets.UTF_8);
                AtomicReference<Integer> at = new AtomicReference<>(0);
                return new ServletInputStream() {
                    @Override
                    public boolean isFinished() {
                        return at.get() >= body.length;
                    }

                    @Override
                    public boolean isReady() {
                        return true;
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public int read() {
                        int i = at.get();
                        if (i >= body.length) {
                            return -1;
                        }
                        at.set(i + 1);
                        return body[i];
                    }
                };
            }
        };
        request.addHeader(ApiHeaders.FORWARDED_BY, "node-a");
        request.addHeader(ApiHeaders.NODE_MAC, mac);
        return request;
    }

    private MockHttpServletResponse send(MockHttpServletRequest request) throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(request, response, (req, res) -> {
            throw new AssertionError("a refused request must not reach the chain");
        });
        return response;
    }
}
