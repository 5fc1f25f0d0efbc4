package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.logkv.core.NamespaceName;
import io.logkv.query.OtlpTraceReceiver.ReceivedSpan;
import io.logkv.testkit.KafkaTestCluster;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Tracing is off unless switched on; switched on, a request's spans reach an OTLP receiver under the trace
 * its caller started, a write forwarded to its partition's owner stays in that one trace across both nodes,
 * and the node's log lines written while the request is served carry the trace id.
 */
@Tag("integration")
class TracingIT {

    private final NamespaceName ns = new NamespaceName("traced-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void withTracingOnARequestsSpansReachTheReceiverInItsCallersTraceAcrossBothNodes() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        try (OtlpTraceReceiver receiver = new OtlpTraceReceiver()) {
            String[] args = {
                    "--management.tracing.export.enabled=true",
                    "--management.tracing.sampling.probability=1.0",
                    "--management.opentelemetry.tracing.export.otlp.endpoint=" + receiver.endpoint(),
                    "--management.opentelemetry.tracing.export.schedule-delay=100ms",
                    // Spring Security logs each request it secures: a line written inside the request's span.
                    "--logging.level.org.springframework.security.web.FilterChainProxy=DEBUG"};
            try (LogKvNode a = LogKvNode.start("traced-a", kafka, dataDir.resolve("a"), args);
                 LogKvNode b = LogKvNode.start("traced-b", kafka, dataDir.resolve("b"), args)) {
                // Attached once the nodes are up: starting a node sets logging up anew, dropping appenders.
                root.addAppender(log);
                LogKvNode owner = LogKvNode.ownerOfOnePartition(ns, a, b);
                LogKvNode forwarder = owner == a ? b : a;

                // A write sent to the node that does not own the partition: it goes on to the owner.
                String writeTrace = randomHex(16);
                String callerSpan = randomHex(8);
                HttpResponse<String> put = forwarder.send(HttpRequest.newBuilder(URI.create(forwarder.keyUrl(ns.value(), "k")))
                        .header("Content-Type", "text/plain")
                        .header("traceparent", "00-" + writeTrace + "-" + callerSpan + "-01")
                        .PUT(HttpRequest.BodyPublishers.ofString("v")));
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                assertThat(put.headers().firstValue("KV-Owner")).contains(owner.url(""));

                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    List<ReceivedSpan> trace = receiver.trace(writeTrace);
                    ReceivedSpan forwarderServer = trace.stream()
                            .filter(span -> span.kind() == Span.SpanKind.SPAN_KIND_SERVER && span.parentSpanId().equals(callerSpan))
                            .findFirst().orElseThrow(() -> new AssertionError("no server span under the caller's in " + trace));
                    assertThat(trace).as("the owner's server span, a child of the forwarding node's")
                            .anySatisfy(span -> {
                                assertThat(span.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
                                assertThat(span.parentSpanId()).isEqualTo(forwarderServer.spanId());
                            });
                });

                // A read: its server span is exported under the trace its caller sent.
                String readTrace = randomHex(16);
                HttpResponse<String> get = owner.get(ns.value(), "k", "traceparent", "00-" + readTrace + "-" + randomHex(8) + "-01",
                        "KV-Token", put.headers().firstValue("KV-Token").orElseThrow());
                assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(receiver.trace(readTrace))
                        .anySatisfy(span -> assertThat(span.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER)));

                // The appender takes lines from the node's threads under its own lock: read a copy taken under it.
                List<ILoggingEvent> lines;
                synchronized (log) {
                    lines = List.copyOf(log.list);
                }
                assertThat(lines).as("log lines written while the forwarded write was served")
                        .anySatisfy(line -> assertThat(line.getMDCPropertyMap()).containsEntry("traceId", writeTrace));
                // Traced key requests are timed under a name of their own, not as "every other request".
                io.micrometer.core.instrument.MeterRegistry meters = owner.bean(io.micrometer.core.instrument.MeterRegistry.class);
                assertThat(meters.find("logkv.http.key.traced").timers()).isNotEmpty();
                assertThat(meters.find("http.server.requests").tag("uri", "UNKNOWN").timers()).isEmpty();
                assertThat(a.bean(org.springframework.core.env.Environment.class).getProperty("logging.pattern.correlation"))
                        .contains("%X{traceId");
            }
        } finally {
            root.detachAppender(log);
        }
    }

    @Test
    void withTheDefaultsNothingIsExported() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (OtlpTraceReceiver receiver = new OtlpTraceReceiver();
             // An endpoint alone does not switch tracing on.
             LogKvNode node = LogKvNode.start("untraced", kafka, dataDir.resolve("n"),
                     "--management.opentelemetry.tracing.export.otlp.endpoint=" + receiver.endpoint(),
                     "--management.opentelemetry.tracing.export.schedule-delay=100ms")) {
            LogKvNode.ownerOfOnePartition(ns, node, node);
            String trace = randomHex(16);
            String traceparent = "00-" + trace + "-" + randomHex(8) + "-01";
            HttpResponse<String> put = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), "k")))
                    .header("traceparent", traceparent).PUT(HttpRequest.BodyPublishers.ofString("v")));
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            // A new namespace's replica may not serve yet: read until it does.
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(node.get(ns.value(), "k", "traceparent", traceparent).statusCode()).isEqualTo(200));

            assertThat(node.beans(SpanExporter.class)).isEmpty();
            Thread.sleep(1_000);   // ten export periods
            assertThat(receiver.exports()).isZero();
            assertThat(receiver.spans()).isEmpty();
        }
    }

    private static String randomHex(int bytes) {
        byte[] id = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(id);
        id[0] |= 1;   // never all zeros, which W3C trace context forbids
        return HexFormat.of().formatHex(id);
    }
}
