package io.logkv.query.security;

import io.logkv.query.config.NodeSecurityProperties;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.core.convert.converter.Converter;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;

/**
 * Callers known by a JWT ({@code Authorization: Bearer <jwt>}), which Spring Security's OAuth2 resource server
 * verifies (signature, {@code exp}/{@code nbf}, and {@code iss} and {@code aud} when configured). The caller is
 * named by the principal claim ({@code sub} by default) and its grants are the grants claim
 * ({@code logkv_grants} by default): {@code <right>:<pattern>} strings, as a JSON array or separated by spaces.
 */
public final class JwtCallers implements Converter<Jwt, AbstractAuthenticationToken> {

    private final String grantsClaim;
    private final String principalClaim;

    public JwtCallers(NodeSecurityProperties.Jwt settings) {
        this.grantsClaim = settings.grantsClaim();
        this.principalClaim = settings.principalClaim();
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        String name = jwt.getClaimAsString(principalClaim);
        if (name == null || name.isBlank()) {
            throw new InvalidBearerTokenException("the token has no '" + principalClaim + "' claim to name its caller");
        }
        Object claim = jwt.getClaim(grantsClaim);
        List<String> written = new ArrayList<>();
        if (claim instanceof String text) {
            written.addAll(text.isBlank() ? List.of() : List.of(text.strip().split(" +")));
        } else if (claim instanceof Collection<?> values) {
            values.forEach(value -> written.add(String.valueOf(value)));
        }
        try {
            return CallerAuthentication.until(new Caller(name, Grants.parse(written)),
                    jwt.getExpiresAt() == null ? Long.MAX_VALUE : jwt.getExpiresAt().toEpochMilli());
        } catch (IllegalArgumentException e) {
            throw new InvalidBearerTokenException("the token's '" + grantsClaim + "' claim is malformed: " + e.getMessage());
        }
    }

    /**
     * Checks bearer tokens: Spring Security's JWT provider with the configured decoder, and this converter,
     * behind a cache of the tokens it accepted ({@link VerifiedJwts}), so that a client that sends the same
     * JWT with every request pays for its signature check once.
     */
    public static AuthenticationManager authenticationManager(NodeSecurityProperties.Jwt settings) {
        JwtAuthenticationProvider provider = new JwtAuthenticationProvider(decoder(settings));
        provider.setJwtAuthenticationConverter(new JwtCallers(settings));
        return new VerifiedJwts(new ProviderManager(provider));
    }

    /** The decoder of the configured key source, with the configured issuer and audience checks. */
    public static JwtDecoder decoder(NodeSecurityProperties.Jwt settings) {
        int sources = (settings.issuerUri().isBlank() ? 0 : 1) + (settings.jwkSetUri().isBlank() ? 0 : 1)
                + (settings.publicKeyLocation().isBlank() ? 0 : 1) + (settings.secret().isBlank() ? 0 : 1);
        if (sources != 1) {
            throw new IllegalArgumentException("name exactly one of logkv.security.jwt.issuer-uri, jwk-set-uri, public-key-location and secret");
        }
        NimbusJwtDecoder decoder;
        if (!settings.issuerUri().isBlank()) {
            decoder = (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(settings.issuerUri());
        } else if (!settings.jwkSetUri().isBlank()) {
            decoder = NimbusJwtDecoder.withJwkSetUri(settings.jwkSetUri()).build();
        } else if (!settings.publicKeyLocation().isBlank()) {
            decoder = NimbusJwtDecoder.withPublicKey(publicKey(settings.publicKeyLocation())).build();
        } else {
            byte[] secret = settings.secret().getBytes(StandardCharsets.UTF_8);
            if (secret.length < 32) {
                throw new IllegalArgumentException("logkv.security.jwt.secret must be at least 32 bytes");
            }
            decoder = NimbusJwtDecoder.withSecretKey(new SecretKeySpec(secret, "HmacSHA256")).macAlgorithm(MacAlgorithm.HS256).build();
        }
        List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
        validators.add(settings.issuerUri().isBlank() ? JwtValidators.createDefault() : JwtValidators.createDefaultWithIssuer(settings.issuerUri()));
        if (!settings.audiences().isEmpty()) {
            validators.add(jwt -> jwt.getAudience() != null && jwt.getAudience().stream().anyMatch(settings.audiences()::contains)
                    ? OAuth2TokenValidatorResult.success()
                    : OAuth2TokenValidatorResult.failure(new OAuth2Error("invalid_token", "the token is not for this audience", null)));
        }
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(validators));
        return decoder;
    }

    private static RSAPublicKey publicKey(String location) {
        try (var in = new DefaultResourceLoader().getResource(location).getInputStream()) {
            String pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (Exception e) {
            throw new IllegalArgumentException("logkv.security.jwt.public-key-location: no RSA public key (PEM) at " + location + ": " + e, e);
        }
    }
}
