package io.logkv.query.config;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Rates of reads and writes per client (its principal; on an open node the address it calls from) and per
 * namespace, each a token bucket that a node keeps for the requests clients send it (a request another node
 * forwards was counted there). A request over a rate is answered {@code 429 over-quota} with
 * {@code Retry-After}. Every rate is off by default.
 *
 * @param client     the rates of every client that {@code clients} does not name
 * @param namespace  the rates of every namespace that {@code namespaces} does not name
 * @param clients    rates of named clients (principals); what one leaves unset is {@code client}'s
 * @param namespaces rates of named namespaces; what one leaves unset is {@code namespace}'s
 * @param maxTracked clients, and apart from them namespaces, whose buckets a node keeps at most: the least
 *                   used go first, and come back full
 */
public record QuotaProperties(
        @DefaultValue Rates client,
        @DefaultValue Rates namespace,
        Map<String, Rates> clients,
        Map<String, Rates> namespaces,
        @DefaultValue("10000") int maxTracked) {

    public QuotaProperties {
        clients = clients == null ? Map.of() : Map.copyOf(clients);
        namespaces = namespaces == null ? Map.of() : Map.copyOf(namespaces);
    }

    /**
     * The rates of one client or one namespace; null where unset.
     *
     * @param readsPerSecond  reads a second (a key's GET or HEAD, a key of a batch-get, a page of a scan, a watch
     *                        started); 0: no limit
     * @param writesPerSecond writes a second (a key's PUT or DELETE); 0: no limit
     * @param burst           how long a rate may be saved up: a full bucket holds rate × burst requests (at least one)
     */
    public record Rates(Long readsPerSecond, Long writesPerSecond, Duration burst) {
    }
}
