package io.logkv.query.read;

import io.logkv.core.ProblemTypes;
import io.logkv.query.admission.PlacesPerKey;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.problem.ApiProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Bounds the reads that wait for a replica to catch up, per client and per namespace, under the node's own
 * bound ({@code logkv.replicas.max-waiting-reads}): a client holding reads on positions that do not come (a
 * token from far ahead, a flood of strong reads) uses up its own places, not the node's. A read that would wait
 * beyond either bound is answered {@code 429 too-many-waiting-reads} with {@code Retry-After} at once. Counts
 * exist only while reads wait: a client or namespace with none holds no entry.
 */
@Component
public class WaitingReads {

    private static final Runnable NOTHING = () -> { };

    private final PlacesPerKey clients;
    private final PlacesPerKey namespaces;
    private final Counter clientRefusals;
    private final Counter namespaceRefusals;

    public WaitingReads(LogKvProperties props, MeterRegistry meters) {
        this.clients = new PlacesPerKey(props.replicas().maxWaitingReadsPerClient());
        this.namespaces = new PlacesPerKey(props.replicas().maxWaitingReadsPerNamespace());
        this.clientRefusals = refusals(meters, "client");
        this.namespaceRefusals = refusals(meters, "namespace");
    }


    /**
     * Takes a place for a read about to wait.
     *
     * @return what gives the place back once the read stops waiting
     * @throws ApiProblem {@code 429} when the client or the namespace has no place left
     */
    Runnable admit(String clientName, String namespace) {
        String client = clientName == null ? "unknown" : clientName;
        if (!clients.take(client)) {
            clientRefusals.increment();
            throw tooMany("'" + client + "' already has " + clients.max() + " reads waiting for replicas to catch up");
        }
        if (!namespaces.take(namespace)) {
            clients.give(client);
            namespaceRefusals.increment();
            throw tooMany(namespace + " already has " + namespaces.max() + " reads waiting for replicas to catch up");
        }
        return () -> {
            clients.give(client);
            namespaces.give(namespace);
        };
    }

    /** Nothing to give back: for reads that do not wait. */
    static Runnable none() {
        return NOTHING;
    }

    private static ApiProblem tooMany(String detail) {
        return new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.TOO_MANY_WAITING_READS, "Too many waiting reads", detail)
                .withHeader(HttpHeaders.RETRY_AFTER, Long.toString(Duration.ofSeconds(1).toSeconds()));
    }

    private static Counter refusals(MeterRegistry meters, String limit) {
        return Counter.builder("logkv.reads.waiting.refused")
                .description("Reads refused with 429 because their client or namespace had as many reads waiting as allowed")
                .tag("limit", limit)
                .register(meters);
    }
}
