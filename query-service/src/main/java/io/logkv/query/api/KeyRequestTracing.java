package io.logkv.query.api;

import io.micrometer.observation.ObservationRegistry;
import jakarta.servlet.Filter;
import org.springframework.boot.micrometer.tracing.autoconfigure.ConditionalOnEnabledTracingExport;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.observation.DefaultServerRequestObservationConvention;
import org.springframework.web.filter.ServerHttpObservationFilter;

/**
 * Key requests are served ahead of the container's other filters (ADR 0007), Spring Boot's HTTP observation
 * filter among them, so with tracing on they are observed here: the server span of a key request continues
 * the trace its caller sent ({@code traceparent}) and is current while the request is served on its thread,
 * which puts its ids in the log lines written there. With tracing off (the default) this bean does not exist
 * and key requests pay nothing for it.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnEnabledTracingExport
class KeyRequestTracing {

    /**
     * The observation's name, and so its timer's: not {@code http.server.requests}, which counts every request
     * but key requests (docs/operations.md) and would otherwise count key requests too while tracing is on.
     */
    static final String OBSERVATION = "logkv.http.key.traced";

    @Bean
    KeyRequestObservation keyRequestObservation(ObservationRegistry observations) {
        return new KeyRequestObservation(new ServerHttpObservationFilter(observations, new DefaultServerRequestObservationConvention(OBSERVATION)));
    }

    /** The filter that observes a key request around everything else done for it. */
    record KeyRequestObservation(Filter filter) {
    }
}
