package io.logkv.query.admission;

import io.logkv.query.config.SheddingProperties;
import io.logkv.query.problem.ApiProblem;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.ObjectMapper;

/**
 * Refuses at once the API requests a node has no room for: past {@code logkv.shedding.max-active-requests}
 * requests being worked on, a request is answered {@code 503 overloaded} with {@code Retry-After} before
 * anything else looks at it (not even authentication), so that the requests admitted keep the node's cores
 * and their latency, and an overload costs the node one cheap answer per excess request rather than a queue.
 *
 * <p>A request counts from here until its thread is done with it. One that goes asynchronous (a write waiting
 * for its transaction, a read waiting for its replica) holds no thread and leaves its place: those waits have
 * bounds of their own ({@code logkv.writer.max-pending-writes}, {@code logkv.replicas.max-waiting-reads}) and
 * are refused at once beyond them, and each ends by its deadline. Its answer is then written on a container
 * thread, which a client that does not read holds up to the connection's timeout, outside this count, as it
 * holds the thread of any answer written at once. Here too, once its thread is done with it, a
 * request gives back the bytes its answer was granted ({@link AnswerMemory}), or has them given back when its
 * answer is sent. The health probes and the actuator are never refused. The first filter of the security chain,
 * which key requests pass through too (ADR 0014).
 *
 * <p>Requests that declare a large body ({@code logkv.shedding.large-body}, 64 KiB), or send one without declaring
 * its length (chunked), have a bound of their own as well ({@code logkv.shedding.max-active-large}): a few megabyte
 * PUTs cannot take the threads and cores that thousands of small requests share. A large GET answer is not known
 * before the value is read and is not bounded.
 */
public final class LoadShedding implements Filter {

    static final String ACTIVE_METER = "logkv.requests.active";
    private static final String API = "/v1/";

    private final int maxActive;
    private final AtomicInteger active = new AtomicInteger();
    private final long largeBody;
    private final int maxActiveLarge;
    private final AtomicInteger activeLarge = new AtomicInteger();
    private final ApiProblem largeRefusal;
    private final Refusals refusals;
    private final ObjectMapper json;
    /** Made once: refusals are most of the answers while the node is overloaded, and must cost next to nothing. */
    private final ApiProblem refusal;

    public LoadShedding(SheddingProperties shedding, Refusals refusals, ObjectMapper json, MeterRegistry meters) {
        this.maxActive = shedding.maxActiveRequests() <= 0 ? Integer.MAX_VALUE : shedding.maxActiveRequests();
        this.json = json;
        this.refusal = Refusals.overloaded(maxActive, shedding.retryAfter());
        this.largeBody = shedding.largeBody().toBytes();
        this.maxActiveLarge = shedding.maxActiveLarge() <= 0 ? Integer.MAX_VALUE : shedding.maxActiveLarge();
        this.largeRefusal = Refusals.overloadedLarge(maxActiveLarge, largeBody, shedding.retryAfter());
        this.refusals = refusals;
        Gauge.builder(ACTIVE_METER, active, AtomicInteger::get)
                .description("API requests being worked on a thread now (logkv.shedding.max-active-requests bounds them)")
                .register(meters);
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        if (request.getDispatcherType() != DispatcherType.REQUEST || !request.getRequestURI().startsWith(API)) {
            chain.doFilter(servletRequest, servletResponse);
            return;
        }
        if (active.incrementAndGet() > maxActive) {
            active.decrementAndGet();
            refusals.countOverloaded();
            HttpServletResponse response = (HttpServletResponse) servletResponse;
            if (!response.isCommitted()) {
                refusal.write(request, response, json);
            }
            return;
        }
        try {
            // A body that does not declare its length (chunked) may be as large as any: it counts as large.
            long length = request.getContentLengthLong();
            if (length >= largeBody || length < 0 && request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
                serveLarge(request, (HttpServletResponse) servletResponse, chain);
            } else {
                chain.doFilter(servletRequest, servletResponse);
            }
        } finally {
            active.decrementAndGet();
            AnswerMemory.releaseWhenAnswered(request);
        }
    }

    /** A request with a large body: admitted within its own bound, refused at once (its body unread) beyond it. */
    private void serveLarge(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (activeLarge.incrementAndGet() > maxActiveLarge) {
            activeLarge.decrementAndGet();
            refusals.countOverloadedLarge();
            if (!response.isCommitted()) {
                largeRefusal.write(request, response, json);
            }
            return;
        }
        try {
            chain.doFilter(request, response);
        } finally {
            activeLarge.decrementAndGet();
        }
    }

    /** Requests being worked on now. */
    int active() {
        return active.get();
    }
}
