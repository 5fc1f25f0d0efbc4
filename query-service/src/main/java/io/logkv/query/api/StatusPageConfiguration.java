package io.logkv.query.api;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The status page at {@code /ui}: static files (static/ui) that read the node's own API from the browser
 * and refresh themselves; nothing is rendered on the server.
 */
@Configuration(proxyBeanMethods = false)
public class StatusPageConfiguration implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/ui", "/ui/");
        registry.addViewController("/ui/").setViewName("forward:/ui/index.html");
    }
}
