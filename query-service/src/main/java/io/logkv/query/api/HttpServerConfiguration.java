package io.logkv.query.api;

import io.logkv.query.keys.KeyOperations;
import io.logkv.query.path.KeyPathSegment;
import io.logkv.query.read.ForwardedReadBatch;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Duration;
import org.apache.catalina.core.StandardHost;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.web.server.MimeMappings;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.servlet.ConfigurableServletWebServerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import tools.jackson.databind.ObjectMapper;

/**
 * The HTTP server: Tomcat settings the API needs (keys may hold any character once percent-encoded, '/'
 * and '\' included), and the key endpoint in front of Spring MVC.
 */
@Configuration(proxyBeanMethods = false)
public class HttpServerConfiguration {

    @Bean
    TomcatConnectorCustomizer encodedKeyCharacters() {
        return connector -> {
            // Keep %2F and %5C encoded through routing, so {key} stays one path segment and is decoded once.
            connector.setEncodedSolidusHandling("passthrough");
            connector.setEncodedReverseSolidusHandling("passthrough");
            // Latin-1 never fails to decode, so a key that is not UTF-8 reaches KeyPathSegment and gets a
            // precise problem instead of the container's generic 400; keys are decoded from the raw URI.
            connector.setURIEncoding("ISO-8859-1");
        };
    }

    /**
     * Key requests are served by {@link KeyEndpoint} ahead of every other filter and of Spring MVC
     * (ADR 0007), behind Spring Security's filter chain (ADR 0014), which it runs for them itself: the chain's
     * own registration comes after the container's other filters, which key requests skip. Any other path
     * under {@code /v1/namespaces/} passes through untouched, to the chain's own registration.
     */
    @Bean
    FilterRegistrationBean<Filter> keyEndpoint(KeyOperations operations, ForwardedReads forwardedReads, ObjectMapper json,
                                               MeterRegistry meters,
                                               @Value("${spring.mvc.async.request-timeout:30s}") Duration asyncTimeout,
                                               @Qualifier("springSecurityFilterChain") Filter security,
                                               ObjectProvider<KeyRequestTracing.KeyRequestObservation> tracing) {
        KeyEndpoint endpoint = new KeyEndpoint(operations, forwardedReads, json, asyncTimeout, meters);
        KeyRequestTracing.KeyRequestObservation observation = tracing.getIfAvailable();
        FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(new SecuredKeyEndpoint(security, endpoint,
                observation == null ? null : observation.filter()));
        registration.addUrlPatterns(KeyEndpoint.NAMESPACES_PATTERN, ForwardedReadBatch.PATH);
        registration.setAsyncSupported(true);
        registration.setDispatcherTypes(DispatcherType.REQUEST);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    /**
     * The key endpoint with the security filter chain in front of it, for the requests it serves, and in front of
     * both the tracing observation when tracing is on ({@code observation} not null, {@link KeyRequestTracing}).
     */
    private record SecuredKeyEndpoint(Filter security, KeyEndpoint endpoint, Filter observation) implements Filter {

        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
            if (!endpoint.serves((HttpServletRequest) request)) {
                chain.doFilter(request, response);
                return;
            }
            FilterChain secured = (observed, answer) -> security.doFilter(observed, answer,
                    (authorized, reply) -> endpoint.doFilter(authorized, reply, chain));
            if (observation == null) {
                secured.doFilter(request, response);
            } else {
                observation.doFilter(request, response, secured);
            }
        }
    }

    /** The OpenAPI document is served as YAML, not as an opaque download. */
    @Bean
    WebServerFactoryCustomizer<ConfigurableServletWebServerFactory> yamlMediaType() {
        return factory -> {
            MimeMappings mappings = new MimeMappings(MimeMappings.DEFAULT);
            mappings.add("yaml", "application/yaml");
            factory.setMimeMappings(mappings);
        };
    }

    @Bean
    TomcatContextCustomizer problemJsonForContainerErrors() {
        return context -> {
            if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(ProblemJsonErrorReportValve.class.getName());
            }
        };
    }
}
