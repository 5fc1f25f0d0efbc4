package io.logkv.query.path;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

import static org.assertj.core.api.Assertions.assertThat;

class KeyPathTest {

    @Test
    void takesTheNamespaceAndTheRawKeySegment() {
        assertThat(KeyPath.of("/v1/namespaces/default/keys/user%2F42")).isEqualTo(new KeyPath("default", "user%2F42"));
        assertThat(KeyPath.of("/v1/namespaces/keys/keys/keys")).isEqualTo(new KeyPath("keys", "keys"));
        assertThat(KeyPath.of("/v1/namespaces/%64efault/keys/k")).isEqualTo(new KeyPath("default", "k"));
    }

    @Test
    void leavesEveryOtherPathToTheRestOfTheApi() {
        assertThat(KeyPath.of("/v1/namespaces")).isNull();
        assertThat(KeyPath.of("/v1/namespaces/default")).isNull();
        assertThat(KeyPath.of("/v1/namespaces/default/batch-get")).isNull();
        assertThat(KeyPath.of("/v1/namespaces/default/keys")).isNull();
        assertThat(KeyPath.of("/v1/namespaces/default/keys/")).isNull();
        assertThat(KeyPath.of("/v1/namespaces/default/keys/a/b")).isNull();
        assertThat(KeyPath.of("/v1/namespaces//keys/k")).isNull();
        assertThat(KeyPath.of("/v1/namespaces/default/keysx/k")).isNull();
        assertThat(KeyPath.of("/actuator/health")).isNull();
    }

    @Test
    void aMalformedNamespaceSegmentStaysAsItCame() {
        assertThat(KeyPath.of("/v1/namespaces/%zz/keys/k")).isEqualTo(new KeyPath("%zz", "k"));
    }

    @Test
    void aRequestIsParsedOnceAndAgainOnlyWhenItsUriChanges() {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v1/namespaces/default/keys/k");
        KeyPath first = KeyPath.of(request);
        assertThat(first).isEqualTo(new KeyPath("default", "k"));
        assertThat(KeyPath.of(request)).isSameAs(first);

        request.setRequestURI("/v1/namespaces/other/keys/j");
        assertThat(KeyPath.of(request)).isEqualTo(new KeyPath("other", "j"));
        request.setRequestURI("/v1/namespaces");
        assertThat(KeyPath.of(request)).isNull();
        assertThat(KeyPath.of(request)).isNull();
    }
}
