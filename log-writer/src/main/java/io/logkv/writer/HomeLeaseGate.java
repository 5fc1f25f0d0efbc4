package io.logkv.writer;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition writer's gate of the home leases ({@link HomeLeases}, docs/adr/0020, "Home leases"), asked by
 * {@link BatchCommit} before a batch is gathered, before it is sent and before its answers. While the node cannot
 * tell the leases (its view of the registry is too old: the registry's leader moving to another broker, say)
 * nothing is sent and the writes wait within their deadlines, the writer asking again after a pause; a lease that
 * does not hold fails the batch at once. Runs in the writer's drain, except {@link #paused} and
 * {@link #pauseEnded}, read by the writer from the group loop too.
 */
final class HomeLeaseGate {

    private static final Logger log = LoggerFactory.getLogger(HomeLeaseGate.class);
    /** How long a writer waits before it asks again whether its node can tell the home leases. */
    private static final long UNKNOWN_PAUSE_MS = 100;

    private final WriterParts parts;
    /** Why the leases refused the last batch, or null when they did not: a refusal is logged as it starts and ends. */
    private String refusal;
    /** Until when (the node's nanoTime) the writer sends nothing because its node cannot tell the leases; 0: no pause. */
    private volatile long unknownUntilNanos;

    HomeLeaseGate(WriterParts parts) {
        this.parts = parts;
    }

    /** Whether the writer waits for its node to tell the home leases again. */
    boolean paused() {
        return parts.services().time().nanoTime() < unknownUntilNanos;
    }

    /** Whether a pause is over and the writer has not asked again yet (its timer missed it). */
    boolean pauseEnded() {
        long until = unknownUntilNanos;
        return until != 0 && parts.services().time().nanoTime() >= until;
    }

    /** Before a batch is gathered: whether the writer waits (nothing to gather now), expiring writes past their deadlines. */
    boolean holdsBack() {
        if (paused()) {
            expireWaiting("this node cannot tell the home leases now");
            return true;
        }
        Optional<String> unknown = parts.services().leases().unknown();
        if (unknown.isEmpty()) {
            unknownUntilNanos = 0;
            return false;
        }
        refusal(false);
        pause(unknown.get());
        return true;
    }

    /** Whether the refusal of a gathered batch passes by itself: its writes wait ({@link #putBack}) instead of failing. */
    boolean passes() {
        return parts.services().leases().unknown().isPresent();
    }

    /** Puts a gathered batch's HTTP writes back, first, and pauses; its ingest records are read again by the caller. */
    void putBack(WriteBatch batch, String reason) {
        parts.waiting().putBackFirst(batch.writes.stream().filter(pending -> pending.source() == null).map(PendingWrite::retried).toList());
        pause(reason);
    }

    /**
     * Why the home leases refuse the partition's namespace now, if they do; counted, and logged when a refusal
     * starts or ends rather than for every batch.
     *
     * @param committed whether the batch is committed already (asked before its answers) or not sent yet
     */
    Optional<String> refusal(boolean committed) {
        Optional<String> now = parts.services().leases().refusal(parts.namespace());
        if (now.isPresent()) {
            parts.services().meters().homeLeaseRefused(committed);
            if (refusal == null) {
                log.warn("event=home_lease_writes_refused partition={} batch={} reason=\"{}\"", parts.partition(),
                        committed ? "committed" : "unsent", now.get());
            }
        } else if (refusal != null) {
            log.info("event=home_lease_writes_allowed partition={}", parts.partition());
        }
        refusal = now.orElse(null);
        return now;
    }

    private void pause(String reason) {
        unknownUntilNanos = parts.services().time().nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNKNOWN_PAUSE_MS);
        expireWaiting(reason);
        parts.services().timer().schedule(parts.schedule(), UNKNOWN_PAUSE_MS, TimeUnit.MILLISECONDS);
    }

    private void expireWaiting(String reason) {
        parts.waiting().removeExpired(parts.services().time().nanoTime(), pending ->
                pending.fail(new WriteFailedException(reason, null, false), parts.services().meters()));
    }
}
