package io.logkv.query;

import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
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
        };
    }
}
