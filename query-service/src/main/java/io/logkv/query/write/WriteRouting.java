package io.logkv.query.write;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ProblemTypes;
import io.logkv.core.Timers;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.peer.CallerDeadline;
import io.logkv.query.peer.Peers;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.AsyncFailures;
import io.logkv.query.region.HomeRegions;
import io.logkv.query.request.KeyRequest;
import io.logkv.writer.NotOwnerException;
import io.logkv.writer.OwnerDirectory;
import io.logkv.writer.PartitionOwner;
import io.logkv.writer.WriteOutcome;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;

/**
 * Gets a write to the owner of its partition: this node when it owns it, otherwise the owner the
 * writers' group names, by forwarding the request over HTTP. While ownership is moving (a rebalance, a
 * new owner catching up) it retries until the write's deadline, then answers 503.
 */
@Component
public class WriteRouting {

    private static final List<String> FORWARDED_REQUEST_HEADERS = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.IF_MATCH, HttpHeaders.IF_NONE_MATCH, ApiHeaders.TOKEN, ApiHeaders.IDEMPOTENCY_KEY);
    private static final List<String> RELAYED_RESPONSE_HEADERS = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.ETAG, ApiHeaders.TOKEN, HttpHeaders.RETRY_AFTER);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(100);

    private final OwnerDirectory directory;
    private final PartitionOwner owner;
    private final Peers peers;
    private final LogKvProperties props;
    private final HomeRegions regions;

    public WriteRouting(OwnerDirectory directory, PartitionOwner owner, Peers peers, LogKvProperties props, HomeRegions regions) {
        this.directory = directory;
        this.owner = owner;
        this.peers = peers;
        this.props = props;
        this.regions = regions;
    }

    /**
     * Runs {@code local} here, or forwards the request to the partition's owner.
     *
     * @param local    the write on this node, given the {@link System#nanoTime()} by which it must have been
     *                 sent or refused; fails with {@link NotOwnerException} when this node does not own the partition
     * @param answer   the response for a write done here
     * @param body     the request body (for forwarding)
     */
    public CompletableFuture<ResponseEntity<?>> route(ServedNamespace namespace, int partition, KeyRequest request,
                                                           byte[] body, LongFunction<CompletableFuture<WriteOutcome>> local,
                                                           Function<WriteOutcome, ResponseEntity<?>> answer) {
        long deadline = System.nanoTime() + CallerDeadline.bound(request::header, props.writer().forwardTimeout()).toNanos();
        ForwardedRequest forwardable = ForwardedRequest.of(request, body, FORWARDED_REQUEST_HEADERS);
        String homeRegion = regions.forwardWritesTo(namespace);
        if (homeRegion != null) {
            return toHomeRegion(homeRegion, forwardable.withHeader(ApiHeaders.FROM_REGION, String.valueOf(regions.region())), deadline);
        }
        regions.requireHome(namespace, "Writes");
        if (request.header(ApiHeaders.FROM_REGION) != null) {
            // Sent here by a node of another region: routed in this region as a client's write would be.
            forwardable = forwardable.asClientRequest();
        }
        return attempt(namespace, partition, forwardable, local, answer, deadline, false);
    }

    /**
     * Sends a write to a namespace whose home is another region to a node of that region, which writes it (or
     * passes it to its partition's owner there), and relays that answer: its token names the home region's
     * positions, which a session read here waits for until the mirror has carried them.
     */
    private CompletableFuture<ResponseEntity<?>> toHomeRegion(String homeUrl, ForwardedRequest request, long deadline) {
        Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
        return peers.send(homeUrl, request, left).handle((response, error) -> {
            if (error != null) {
                throw ApiProblem.unavailable(ProblemTypes.HOME_UNREACHABLE, "Home region unreachable",
                        "the namespace's home region, at " + homeUrl + ", did not answer: " + AsyncFailures.cause(error)
                                + (request.headers().containsKey(ApiHeaders.IDEMPOTENCY_KEY) ? "" : " (the write may have been applied there)"),
                        Duration.ofSeconds(1));
            }
            return Peers.relay(response, RELAYED_RESPONSE_HEADERS, ApiHeaders.HOME_URL, homeUrl);
        });
    }

    private CompletableFuture<ResponseEntity<?>> attempt(ServedNamespace namespace, int partition, ForwardedRequest request,
                                                              LongFunction<CompletableFuture<WriteOutcome>> local,
                                                              Function<WriteOutcome, ResponseEntity<?>> answer,
                                                              long deadline, boolean refresh) {
        return local.apply(deadline).thenApply(answer).exceptionallyCompose(error -> {
            Throwable cause = AsyncFailures.cause(error);
            if (!(cause instanceof NotOwnerException)) {
                return CompletableFuture.failedFuture(cause);
            }
            if (System.nanoTime() > deadline) {
                return CompletableFuture.failedFuture(ApiProblem.unavailable(ProblemTypes.NO_OWNER, "No owner",
                        "no node owns partition " + partition + " of " + namespace.name() + " right now; ownership is moving",
                        Duration.ofSeconds(1)));
            }
            if (request.forwardedBy() != null) {
                // Forwarded here because this node was named owner: wait for the assignment to arrive, unless
                // the group has since given the partition to another node; then say so at once, and the
                // forwarding node (which cannot have had the write applied here) sends it there.
                return directory.ownerOf(namespace.name(), partition, true).thenCompose(owner ->
                        owner.isPresent() && !owner.get().equals(this.owner.advertisedUrl())
                                ? CompletableFuture.failedFuture(ApiProblem.unavailable(ProblemTypes.NOT_OWNER, "Not the owner",
                                        "partition " + partition + " of " + namespace.name() + " is owned by " + owner.get(),
                                        Duration.ofSeconds(1)))
                                : later(() -> attempt(namespace, partition, request, local, answer, deadline, true)));
            }
            return directory.ownerOf(namespace.name(), partition, refresh).thenCompose(owner -> {
                if (owner.isPresent() && !owner.get().equals(this.owner.advertisedUrl())) {
                    return forward(owner.get(), request, deadline).thenCompose(forwarded -> forwarded.answer() != null
                            ? CompletableFuture.completedFuture(forwarded.answer())
                            : later(() -> attempt(namespace, partition, request, local, answer, deadline, true)));
                }
                return later(() -> attempt(namespace, partition, request, local, answer, deadline, true));
            });
        });
    }

    private CompletableFuture<ResponseEntity<?>> later(Supplier<CompletableFuture<ResponseEntity<?>>> next) {
        return Timers.delay(RETRY_PAUSE).thenCompose(ignored -> next.get());
    }

    /**
     * Forwards the write to the owner with the time the write has left, at most the forward attempt timeout
     * (so a hung owner costs a write that, not the whole forward timeout; the owner, should it wake up, refuses
     * the write unsent once that time has passed). An owner that could not be reached never saw the write,
     * and an owner that was reached but did not answer may have committed it: the first is retried (with an
     * empty answer) once the group names an owner again, the second only when an {@code Idempotency-Key}
     * makes the retry safe, and answered 503 otherwise.
     */
    private CompletableFuture<Forwarded> forward(String ownerUrl, ForwardedRequest request, long deadline) {
        long attempt = props.writer().forwardAttemptTimeout().toNanos();
        Duration left = Duration.ofNanos(Math.max(1_000_000, Math.min(attempt, deadline - System.nanoTime())));
        return peers.send(ownerUrl, request, left)
                .handle((response, error) -> {
                    if (error == null && response.statusCode() == 503 && response.isProblem(ProblemTypes.NOT_OWNER)) {
                        return new Forwarded(null); // never applied there: ask the group again and send it on
                    }
                    if (error == null) {
                        ResponseEntity<byte[]> relayed = Peers.relay(response, RELAYED_RESPONSE_HEADERS);
                        HttpHeaders headers = new HttpHeaders();
                        headers.putAll(relayed.getHeaders());
                        headers.set(ApiHeaders.OWNER, ownerUrl);
                        return new Forwarded(new ResponseEntity<>(relayed.getBody(), headers, relayed.getStatusCode()));
                    }
                    Throwable cause = AsyncFailures.cause(error);
                    boolean neverSent = cause instanceof ConnectException || cause instanceof ConnectTimeoutException;
                    boolean retrySafe = request.headers().containsKey(ApiHeaders.IDEMPOTENCY_KEY);
                    if ((neverSent || retrySafe) && System.nanoTime() < deadline) {
                        return new Forwarded(null);
                    }
                    throw ApiProblem.unavailable(ProblemTypes.OWNER_UNREACHABLE, "Owner unreachable",
                            "the owner of the partition, " + ownerUrl + ", did not answer: " + cause, Duration.ofSeconds(1));
                });
    }

    /** The owner's answer, or null when the write should be tried again. */
    private record Forwarded(ResponseEntity<?> answer) {
    }
}
