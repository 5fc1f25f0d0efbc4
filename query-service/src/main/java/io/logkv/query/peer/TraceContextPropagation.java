package io.logkv.query.peer;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.util.function.BiConsumer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Passes the trace a request is served in on to the peer it is forwarded to, as the headers the configured
 * propagation writes (W3C {@code traceparent} by default), so that one trace spans both nodes. Spring Boot
 * instruments its own HTTP clients only; {@link Peers} sends with Apache HttpClient, so it asks here.
 * Nothing is added when no span is current (tracing off, or a request sent from a background thread).
 */
@Component
public class TraceContextPropagation {

    private final Tracer tracer;
    private final Propagator propagator;

    public TraceContextPropagation(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
        this.tracer = tracer.getIfAvailable(() -> Tracer.NOOP);
        this.propagator = propagator.getIfAvailable(() -> Propagator.NOOP);
    }

    /** Writes the current span's context into {@code headers}, if a span is current. */
    public void addTo(BiConsumer<String, String> headers) {
        Span current = tracer.currentSpan();
        if (current != null) {
            propagator.inject(current.context(), headers, BiConsumer::accept);
        }
    }
}
