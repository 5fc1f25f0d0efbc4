package io.logkv.query;

import org.apache.catalina.core.StandardHost;
import org.springframework.boot.web.server.MimeMappings;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.servlet.ConfigurableServletWebServerFactory;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Tomcat settings the API needs: keys may hold any character once percent-encoded, '/' and '\' included. */
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
