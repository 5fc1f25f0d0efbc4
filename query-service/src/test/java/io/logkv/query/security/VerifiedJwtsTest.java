package io.logkv.query.security;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerifiedJwtsTest {

    private final AtomicInteger checks = new AtomicInteger();

    private VerifiedJwts cacheOver(long validUntilMs) {
        return new VerifiedJwts(authentication -> {
            checks.incrementAndGet();
            String token = ((BearerTokenAuthenticationToken) authentication).getToken();
            if (token.startsWith("bad")) {
                throw new BadCredentialsException("refused");
            }
            return CallerAuthentication.until(new Caller(token, Grants.parse(List.of("read:*"))), validUntilMs);
        });
    }

    @Test
    void anAcceptedTokenIsCheckedOnceUntilItExpires() {
        VerifiedJwts jwts = cacheOver(System.currentTimeMillis() + 60_000);

        Object first = jwts.authenticate(new BearerTokenAuthenticationToken("a.b.c"));
        Object second = jwts.authenticate(new BearerTokenAuthenticationToken("a.b.c"));

        assertThat(second).isSameAs(first);
        assertThat(checks).hasValue(1);
        jwts.authenticate(new BearerTokenAuthenticationToken("a.b.d"));
        assertThat(checks).hasValue(2);
    }

    @Test
    void anExpiredOrRefusedTokenIsCheckedEveryTime() {
        VerifiedJwts expired = cacheOver(System.currentTimeMillis() - 1);
        expired.authenticate(new BearerTokenAuthenticationToken("a.b.c"));
        expired.authenticate(new BearerTokenAuthenticationToken("a.b.c"));
        assertThat(checks).hasValue(2);

        VerifiedJwts jwts = cacheOver(System.currentTimeMillis() + 60_000);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> jwts.authenticate(new BearerTokenAuthenticationToken("bad.b.c"))).isInstanceOf(BadCredentialsException.class);
        }
        assertThat(checks).hasValue(4);
    }
}
