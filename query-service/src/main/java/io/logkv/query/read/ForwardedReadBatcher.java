package io.logkv.query.read;

import io.logkv.query.config.LogKvProperties;
import io.logkv.query.peer.CallerDeadline;
import io.logkv.query.peer.Peers;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.peer.Peers.PeerResponse;
import io.logkv.query.read.ForwardedReadBatch.Answer;
import io.logkv.query.read.ForwardedReadBatch.Read;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/**
 * Sends the eventual reads this node forwards to one peer together. While fewer than
 * {@code logkv.replicas.forward-batches-in-flight} exchanges with a peer are unanswered, a read goes at once
 * (on its own, as a plain GET); while that many are, reads queue and leave together, up to
 * {@code logkv.replicas.forward-batch-reads} in one {@code POST /v1/internal/reads}, as soon as an exchange
 * returns. So an idle node adds no delay, and a busy one pays one HTTP exchange on each side for many reads
 * instead of one per read: the cost that made a forwarded read several times dearer than a local one
 * (docs/performance.md). A read keeps its own time left, token and headers inside the batch; its answer is
 * the one it would have had on its own, so {@link ReadRouting} relays, skips and hedges it the same way.
 *
 * <p>Bounded: at most {@code logkv.replicas.max-waiting-reads} reads queue for one peer; more fail at once
 * (the read then tries the partition's next replica). A read that is not sent within its time fails then.
 */
@Component
public class ForwardedReadBatcher {

    private static final Logger log = LoggerFactory.getLogger(ForwardedReadBatcher.class);
    /** How long a peer that does not serve batches (an older node) gets single reads only. */
    private static final long SINGLES_ONLY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Peers peers;
    private final int maxReads;
    private final int maxInFlight;
    private final int maxQueued;
    private final DistributionSummary batchSizes;
    private final Map<String, PeerQueue> queues = new ConcurrentHashMap<>();

    public ForwardedReadBatcher(Peers peers, LogKvProperties props, MeterRegistry meters) {
        this.peers = peers;
        this.maxReads = Math.max(1, props.replicas().forwardBatchReads());
        this.maxInFlight = Math.max(1, props.replicas().forwardBatchesInFlight());
        this.maxQueued = Math.max(1, props.replicas().maxWaitingReads());
        this.batchSizes = DistributionSummary.builder("logkv.reads.forwarded.batch")
                .description("Reads per exchange this node forwarded to a peer (1: a read sent on its own)")
                .register(meters);
    }

    /** Sends a read to {@code peer}, alone or with others; fails when the peer does not answer in {@code timeout}. */
    public CompletableFuture<PeerResponse> send(String peer, ForwardedRequest read, Duration timeout) {
        if (maxReads == 1) {
            batchSizes.record(1);
            return peers.send(peer, read, timeout);
        }
        return queues.computeIfAbsent(peer, PeerQueue::new).submit(read, timeout);
    }

    /** A read waiting to be sent. */
    private record Pending(ForwardedRequest read, long deadlineNanos, CompletableFuture<PeerResponse> answer) {

        Duration left() {
            return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
        }
    }

    /** The reads waiting for one peer and the exchanges in flight to it. */
    private final class PeerQueue {

        private final String peer;
        private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final AtomicInteger inFlight = new AtomicInteger();
        private volatile long singlesOnlyUntil;

        PeerQueue(String peer) {
            this.peer = peer;
        }

        CompletableFuture<PeerResponse> submit(ForwardedRequest read, Duration timeout) {
            if (queued.incrementAndGet() > maxQueued) {
                queued.decrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException(maxQueued + " reads already wait to be sent to " + peer));
            }
            CompletableFuture<PeerResponse> answer = new CompletableFuture<PeerResponse>()
                    .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
            waiting.add(new Pending(read, System.nanoTime() + timeout.toNanos(), answer));
            drain();
            return answer;
        }

        /**
         * Sends what waits while fewer than the allowed exchanges are in flight. A read queued while all were
         * in flight is sent by the thread that ends one of them: each adds before it looks, each ends before it
         * looks, so one of the two sees the other.
         */
        private void drain() {
            while (!waiting.isEmpty()) {
                int current = inFlight.get();
                if (current >= maxInFlight) {
                    return;
                }
                if (!inFlight.compareAndSet(current, current + 1)) {
                    continue;
                }
                List<Pending> batch = take();
                if (batch.isEmpty()) {
                    inFlight.decrementAndGet();
                    continue;
                }
                exchange(batch).whenComplete((ignored, error) -> {
                    inFlight.decrementAndGet();
                    drain();
                });
            }
        }

        private List<Pending> take() {
            List<Pending> batch = new ArrayList<>(Math.min(maxReads, queued.get()));
            Pending next;
            while (batch.size() < maxReads && (next = waiting.poll()) != null) {
                queued.decrementAndGet();
                if (!next.answer().isDone()) {
                    batch.add(next);
                }
            }
            return batch;
        }

        private CompletableFuture<?> exchange(List<Pending> batch) {
            batchSizes.record(batch.size());
            if (batch.size() == 1 || System.nanoTime() < singlesOnlyUntil) {
                return CompletableFuture.allOf(batch.stream().map(this::single).toArray(CompletableFuture[]::new));
            }
            List<Read> reads = new ArrayList<>(batch.size());
            Duration longest = Duration.ZERO;
            for (Pending pending : batch) {
                Duration left = pending.left();
                Map<String, String> headers = new LinkedHashMap<>(pending.read().headers());
                CallerDeadline.send(headers::put, left);
                reads.add(new Read(pending.read().pathAndQuery(), headers));
                longest = left.compareTo(longest) > 0 ? left : longest;
            }
            ForwardedRequest request = new ForwardedRequest("POST", ForwardedReadBatch.PATH,
                    Map.of(HttpHeaders.CONTENT_TYPE, ForwardedReadBatch.MEDIA_TYPE), ForwardedReadBatch.encodeReads(reads), null);
            return peers.send(peer, request, longest).handle((response, error) -> {
                if (error != null) {
                    batch.forEach(pending -> pending.answer().completeExceptionally(error));
                } else if (response.statusCode() == 404 || response.statusCode() == 405) {
                    log.info("event=forwarded_reads_unsupported peer={} status={} detail=\"reads to it go one by one for a minute\"",
                            peer, response.statusCode());
                    singlesOnlyUntil = System.nanoTime() + SINGLES_ONLY_NANOS;
                    batch.forEach(this::single);
                } else {
                    answer(batch, response);
                }
                return null;
            });
        }

        private CompletableFuture<?> single(Pending pending) {
            return peers.send(peer, pending.read(), pending.left()).whenComplete((response, error) -> {
                if (error != null) {
                    pending.answer().completeExceptionally(error);
                } else {
                    pending.answer().complete(response);
                }
            });
        }

        private void answer(List<Pending> batch, PeerResponse response) {
            List<Answer> answers;
            try {
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(peer + " answered a batch of forwarded reads " + response.statusCode());
                }
                answers = ForwardedReadBatch.decodeAnswers(response.body(), batch.size());
            } catch (RuntimeException e) {
                batch.forEach(pending -> pending.answer().completeExceptionally(e));
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                Answer answer = answers.get(i);
                batch.get(i).answer().complete(new PeerResponse(answer.status(), answer.headers(), answer.body()));
            }
        }
    }
}
