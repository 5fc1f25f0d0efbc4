package io.logkv.query.api;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ConsistencyToken;
import io.logkv.core.ProblemTypes;
import io.logkv.query.admission.PlacesPerKey;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.keys.KeyOperations;
import io.logkv.query.keys.RequestTokens;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.region.HomeRegions;
import io.logkv.query.security.Caller;
import io.logkv.query.watch.ChangeStreams;
import io.logkv.query.watch.EventSink;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /v1/namespaces/{ns}/watch}: the namespace's changes as server-sent events ({@code put},
 * {@code delete}, {@code expire}), exactly as the log holds them, in log order within each partition. From
 * {@code Last-Event-ID} (a resumed stream), else from {@code KV-Token} (the changes after what the token
 * covers), else from now; optionally only keys under {@code prefix}. Each event's id is a token of every
 * partition's position after it. The stream starts with a {@code ready} event and ends with
 * {@code reconnect} (after {@code logkv.watch.max-duration}) or {@code dropped} (a client too far behind).
 */
@RestController
public class WatchController {

    private final NamespaceResolver namespaces;
    private final ChangeStreams streams;
    private final long maxDurationMs;
    private final RequestTokens tokens;
    private final HomeRegions regions;
    private final PlacesPerKey clients;
    private final PlacesPerKey namespaceStreams;

    public WatchController(NamespaceResolver namespaces, ChangeStreams streams, RequestTokens tokens, io.logkv.query.config.LogKvProperties props,
                           HomeRegions regions) {
        this.namespaces = namespaces;
        this.tokens = tokens;
        this.regions = regions;
        this.streams = streams;
        this.maxDurationMs = props.watch().maxDuration().toMillis();
        this.clients = new PlacesPerKey(props.watch().maxWatchesPerClient());
        this.namespaceStreams = new PlacesPerKey(props.watch().maxWatchesPerNamespace());
    }

    @GetMapping(path = "/v1/namespaces/{ns}/watch", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public SseEmitter watch(@PathVariable String ns, @RequestParam(required = false) String prefix,
                            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
                            @RequestHeader(name = ApiHeaders.TOKEN, required = false) List<String> tokens,
                            HttpServletRequest request) {
        ServedNamespace namespace = namespaces.resolve(ns);
        Start start = start(namespace, lastEventId, tokens);
        Runnable release = admit(Caller.clientOf(request), namespace.name().value());
        // A little beyond the stream's own end, so that the stream says goodbye before the container cuts it.
        SseEmitter emitter = new SseEmitter(maxDurationMs + Duration.ofSeconds(30).toMillis());
        Runnable opened;
        try {
            opened = streams.open(namespace.name(), regions.region(), namespace.settings().partitions(), start.from(), start.fromNow(),
                    prefix, sink(emitter, this.tokens));
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        if (opened == null) {
            release.run();
            throw ApiProblem.unavailable(ProblemTypes.OVERLOADED, "Too many watches",
                    "this node serves logkv.watch.max-watches change streams already", Duration.ofSeconds(5));
        }
        // Completion, timeout and error may each come: the places are given back once.
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                release.run();
                opened.run();
            }
        };
        emitter.onCompletion(stop);
        emitter.onTimeout(stop);
        emitter.onError(error -> stop.run());
        return emitter;
    }

    /**
     * Takes a place of the client and one of the namespace for a stream ({@code logkv.watch.max-watches-per-client},
     * {@code -per-namespace}), so that one client or one namespace cannot hold every stream the node serves.
     *
     * @return what gives both back
     * @throws ApiProblem {@code 429 too-many-watches}, with {@code Retry-After}, when either has none left
     */
    private Runnable admit(String clientName, String namespace) {
        String client = clientName == null ? "unknown" : clientName;
        if (!clients.take(client)) {
            throw tooManyWatches("'" + client + "' already holds " + clients.max() + " change streams on this node");
        }
        if (!namespaceStreams.take(namespace)) {
            clients.give(client);
            throw tooManyWatches(namespace + " already has " + namespaceStreams.max() + " change streams on this node");
        }
        return () -> {
            clients.give(client);
            namespaceStreams.give(namespace);
        };
    }

    private static ApiProblem tooManyWatches(String detail) {
        return new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.TOO_MANY_WATCHES, "Too many watches", detail)
                .withHeader(HttpHeaders.RETRY_AFTER, "5");
    }

    /**
     * {@code HEAD}: what a {@code GET} would answer before its first event (the namespace and the start checked),
     * and nothing more. Without this mapping, Spring would serve a HEAD with the GET's handler and open a stream
     * that never ends: the client, owed no body, would reuse the connection, and the node would never read its
     * next request.
     */
    @RequestMapping(method = RequestMethod.HEAD, path = "/v1/namespaces/{ns}/watch", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public ResponseEntity<Void> head(@PathVariable String ns,
                                     @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
                                     @RequestHeader(name = ApiHeaders.TOKEN, required = false) List<String> tokens) {
        start(namespaces.resolve(ns), lastEventId, tokens);
        return ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM).build();
    }

    /** Where a stream starts: after {@code Last-Event-ID}, else after what the tokens cover, else now. */
    private Start start(ServedNamespace namespace, String lastEventId, List<String> tokens) {
        if (lastEventId != null && !lastEventId.isBlank()) {
            return new Start(this.tokens.one(lastEventId.strip(), namespace.name()), false);
        }
        if (tokens != null && !tokens.isEmpty()) {
            return new Start(this.tokens.of(tokens, namespace.name()), false);
        }
        return new Start(ConsistencyToken.EMPTY, true);
    }

    /**
     * @param from    the positions the stream starts after
     * @param fromNow whether it starts at the log's current end instead
     */
    private record Start(ConsistencyToken from, boolean fromNow) {
    }

    /** Events with the stream's position as their id: a token as this node writes them (signed when tokens are). */
    private static EventSink sink(SseEmitter emitter, RequestTokens tokens) {
        return new EventSink() {
            @Override
            public void send(ConsistencyToken position, String event, Object data) throws IOException {
                SseEmitter.SseEventBuilder builder = SseEmitter.event().name(event).data(data, MediaType.APPLICATION_JSON);
                emitter.send(position == null ? builder : builder.id(tokens.text(position)));
            }

            @Override
            public void comment(String text) throws IOException {
                emitter.send(SseEmitter.event().comment(text));
            }

            @Override
            public void complete() {
                emitter.complete();
            }
        };
    }
}
