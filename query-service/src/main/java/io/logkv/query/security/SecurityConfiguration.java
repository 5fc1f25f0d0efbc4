package io.logkv.query.security;

import io.logkv.core.SignedTokens;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.config.NodeSecurityProperties;
import io.logkv.query.config.NodeSecurityProperties.SecurityMode;
import io.logkv.query.read.ForwardedReadBatch;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.DefaultSecurityFilterChain;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.authentication.AuthenticationEntryPointFailureHandler;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.context.request.async.WebAsyncManagerIntegrationFilter;
import org.springframework.security.web.util.matcher.RequestMatcher;
import tools.jackson.databind.ObjectMapper;

/**
 * Who may call a node, and for what (ADR 0014): Spring Security's filter chain, stateless, with API keys
 * ({@link ApiKeys}) and JWTs (the OAuth2 resource server, {@link JwtCallers}) for clients, node MACs
 * ({@link NodeRequests}) for forwarded requests, and {@link RequestRights} deciding each request's right.
 * Key requests pass through the same chain before the key endpoint serves them (HttpServerConfiguration), and
 * so through what the chain also holds: the bound on requests worked on at once, first, and the rates per
 * client and per namespace, last (ADR 0016, added through {@link ChainFilters}).
 *
 * <p>A node in {@code secured} mode (the default) refuses to start unless callers can authenticate (API keys or
 * a JWT key source), nodes have keys to sign forwarded requests with, and tokens have keys to be signed with.
 * An {@code open} node lets anyone do anything, and says so in its log at start.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
public class SecurityConfiguration {

    /**
     * Paths anyone may ask for: the orchestrators' probes, the API document and the status page's static files
     * (they hold no data: the page asks the API for it with the caller's credentials).
     */
    private static final Set<String> OPEN_PATHS = Set.of("/actuator/health/liveness", "/actuator/health/readiness", "/v1/openapi.yaml",
            "/ui", "/ui/", "/ui/index.html", "/ui/status.js", "/ui/status.css");
    /** Ties the anonymous caller to this node's chain: any value, as long as the filter and its provider share it. */
    private static final String ANONYMOUS_KEY = java.util.UUID.randomUUID().toString();
    /** The largest body a node forwards: a value (1 MiB by default) or a batch of reads (8 MiB at most). */
    private static final int FORWARDED_BODY_SLACK = 64 * 1024;

    @Bean
    ProblemResponses problemResponses(ObjectMapper json) {
        return new ProblemResponses(json);
    }

    /** Always a bean: it is also what keeps Spring Boot from making up a user with a generated password. */
    @Bean
    ApiKeys apiKeys(LogKvProperties props) {
        return new ApiKeys(checked(props.security()).apiKeys());
    }

    @Bean
    NodeTrust nodeTrust(LogKvProperties props) {
        NodeSecurityProperties.NodeKeys node = props.security().node();
        return new NodeTrust(node.configured() ? new NodeSignatures(node) : null);
    }

    @Bean
    TokenSigning tokenSigning(LogKvProperties props) {
        NodeSecurityProperties.TokenKeys tokens = props.security().tokens();
        if (!tokens.configured()) {
            return new TokenSigning(null, false);
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        tokens.keys().forEach((id, secret) -> keys.put(id, secret.getBytes(StandardCharsets.UTF_8)));
        try {
            return new TokenSigning(new SignedTokens(tokens.signingKeyId(), keys), tokens.acceptUnsignedIngest());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("logkv.security.tokens: " + e.getMessage(), e);
        }
    }

    /** Spring Security's own observations would wrap every filter of every request: the node's meters time requests. */
    @Bean
    SecurityObservationSettings securityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /**
     * Key requests (and batches of forwarded reads) skip the firewall's path checks: the key endpoint decodes
     * their raw path strictly itself, and keys may hold any character ({@code %2F}, {@code %25}, {@code ;}).
     * Every other path gets them, so that the namespace {@link RequestRights} reads is the one Spring MVC serves.
     */
    @Bean
    WebSecurityCustomizer firewall(ProblemResponses problems) {
        return web -> web.httpFirewall(new KeyPathFirewall()).requestRejectedHandler(problems);
    }

    @Bean
    SecurityFilterChain apiSecurity(HttpSecurity http, LogKvProperties props, ProblemResponses problems, ApiKeys apiKeys,
                                    NodeTrust nodeTrust, ObjectProvider<ChainFilters> chainFilters) throws Exception {
        NodeSecurityProperties security = props.security();
        boolean open = security.mode() == SecurityMode.OPEN;
        http.csrf(csrf -> csrf.disable())
                .headers(headers -> headers.disable())
                .requestCache(cache -> cache.disable())
                .logout(logout -> logout.disable())
                .servletApi(api -> api.disable())
                .formLogin(form -> form.disable())
                .httpBasic(basic -> basic.disable())
                .sessionManagement(sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .exceptionHandling(exceptions -> exceptions.authenticationEntryPoint(problems).accessDeniedHandler(problems))
                .anonymous(anonymous -> anonymous.key(ANONYMOUS_KEY).authenticationFilter(anonymousCallers()));
        int maxBody = (int) Math.min(Integer.MAX_VALUE - FORWARDED_BODY_SLACK,
                Math.max(props.limits().maxValueBytes().toBytes(), ForwardedReadBatch.MAX_BODY_BYTES)) + FORWARDED_BODY_SLACK;
        http.addFilterAfter(new NodeRequests(nodeTrust.signatures(), problems, maxBody), SecurityContextHolderFilter.class);
        chainFilters.orderedStream().forEach(filters -> filters.install(http));
        RequestMatcher openPaths = request -> OPEN_PATHS.contains(request.getRequestURI());
        if (open) {
            RequestMatcher internal = request -> request.getRequestURI().startsWith("/v1/internal/");
            http.authorizeHttpRequests(requests -> {
                if (nodeTrust.signatures() != null) {
                    requests.requestMatchers(internal).hasAuthority(CallerAuthentication.NODE.getAuthority());
                }
                requests.anyRequest().permitAll();
            });
            return withoutAsyncIntegration(http.build());
        }
        AuthenticationFilter apiKeyFilter = new AuthenticationFilter(new ProviderManager(apiKeys), ApiKeys.presentedKeys());
        apiKeyFilter.setSuccessHandler((request, response, authentication) -> { });
        apiKeyFilter.setFailureHandler(new AuthenticationEntryPointFailureHandler(problems));
        http.addFilterBefore(apiKeyFilter, BearerTokenAuthenticationFilter.class);
        if (security.jwt().configured()) {
            http.oauth2ResourceServer(server -> server
                    .jwt(jwt -> jwt.authenticationManager(JwtCallers.authenticationManager(security.jwt())))
                    .authenticationEntryPoint(problems)
                    .accessDeniedHandler(problems));
        }
        http.authorizeHttpRequests(requests -> requests
                .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                .requestMatchers(openPaths).permitAll()
                .anyRequest().access(new RequestRights()));
        return withoutAsyncIntegration(http.build());
    }

    /**
     * Callers with no credentials (on open paths, or anywhere on an open node) as Spring Security's anonymous
     * caller, without the request details (address, session) it would otherwise record for each: nothing reads them.
     */
    private static AnonymousAuthenticationFilter anonymousCallers() {
        AnonymousAuthenticationFilter anonymous = new AnonymousAuthenticationFilter(ANONYMOUS_KEY);
        anonymous.setAuthenticationDetailsSource(request -> null);
        return anonymous;
    }

    /**
     * The chain without the filter that hands the security context to the {@code Callable}s Spring MVC runs on its
     * own threads: no handler of the node returns one (the key endpoint answers from futures, with its own async
     * context), and the filter made a {@code WebAsyncManager} and registered an interceptor on every request.
     */
    private static SecurityFilterChain withoutAsyncIntegration(DefaultSecurityFilterChain chain) {
        List<Filter> filters = chain.getFilters().stream()
                .filter(filter -> !(filter instanceof WebAsyncManagerIntegrationFilter))
                .toList();
        return new DefaultSecurityFilterChain(chain.getRequestMatcher(), filters);
    }

    /** The security settings, once checked: a secured node without everything it needs does not start. */
    private static NodeSecurityProperties checked(NodeSecurityProperties security) {
        if (security.mode() == SecurityMode.OPEN) {
            LoggerFactory.getLogger(SecurityConfiguration.class).warn("event=security_open detail=\"logkv.security.mode=open: this node"
                    + " asks no caller who it is; anyone who reaches it may read, write and administer every namespace\"");
            return security;
        }
        List<String> missing = new ArrayList<>();
        if (security.apiKeys().isEmpty() && !security.jwt().configured()) {
            missing.add("callers' credentials (logkv.security.api-keys, or a JWT key source under logkv.security.jwt)");
        }
        if (!security.node().configured()) {
            missing.add("the keys nodes sign forwarded requests with (logkv.security.node.keys and signing-key-id)");
        }
        if (!security.tokens().configured()) {
            missing.add("the keys consistency tokens are signed with (logkv.security.tokens.keys and signing-key-id)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("logkv.security.mode is secured (the default) but " + String.join("; ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " not configured (docs/configuration.md, \"Security\");"
                    + " set logkv.security.mode=open to run a node that anyone may use");
        }
        return security;
    }

    /**
     * How this node signs and checks requests between nodes.
     *
     * @param signatures null on an open node without node keys (internal headers are then trusted)
     */
    public record NodeTrust(NodeSignatures signatures) {
    }

    /**
     * How this node signs and checks consistency tokens.
     *
     * @param tokens               null when tokens are not signed
     * @param acceptUnsignedIngest whether unsigned tokens of ingest positions only are accepted
     */
    public record TokenSigning(SignedTokens tokens, boolean acceptUnsignedIngest) {
    }
}
