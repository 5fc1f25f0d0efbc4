package io.logkv.query.peer;

import io.logkv.core.ApiHeaders;
import io.logkv.query.request.KeyRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.web.MockHttpServletRequest;

import static org.assertj.core.api.Assertions.assertThat;

/** A request passed on to another node carries its headers as this node would have read them. */
class ForwardedRequestTest {

    @Test
    void repeatedTokensAreJoinedAndAnyOtherRepeatedHeaderPassesItsFirstValue() {
        MockHttpServletRequest request = new MockHttpServletRequest("PUT", "/v1/namespaces/orders/keys/k");
        request.addHeader(ApiHeaders.TOKEN, "AQEFbkK1DAE");
        request.addHeader(ApiHeaders.TOKEN, "AQEFbkK1DAg");
        request.addHeader(HttpHeaders.IF_MATCH, "\"0192f3a1b2c30000a1b2c3d4\"");
        request.addHeader(HttpHeaders.IF_MATCH, "\"0192f3a1b2c30000a1b2c3d5\"");
        request.addHeader(ApiHeaders.IDEMPOTENCY_KEY, "order-1");
        request.addHeader(ApiHeaders.IDEMPOTENCY_KEY, "order-2");

        List<String> names = List.of(ApiHeaders.TOKEN, HttpHeaders.IF_MATCH, ApiHeaders.IDEMPOTENCY_KEY);

        // As batch-gets and scans pass requests on, and as key requests (writes among them) do.
        for (Peers.ForwardedRequest forwarded : List.of(Peers.ForwardedRequest.of(request, new byte[0], names),
                Peers.ForwardedRequest.of(KeyRequest.of(request), new byte[0], names))) {
            assertThat(forwarded.headers()).containsEntry(ApiHeaders.TOKEN, "AQEFbkK1DAE, AQEFbkK1DAg")
                    .containsEntry(HttpHeaders.IF_MATCH, "\"0192f3a1b2c30000a1b2c3d4\"")
                    .containsEntry(ApiHeaders.IDEMPOTENCY_KEY, "order-1");
        }
    }
}
