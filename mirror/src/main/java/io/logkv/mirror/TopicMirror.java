package io.logkv.mirror;

import io.logkv.core.DaemonThreads;
import io.logkv.writer.KafkaUnavailableException;
import java.time.Duration;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror of one truth topic: one thread that reads the source region's committed records
 * ({@code read_committed}, so aborted transactions are never copied) and writes them, with the positions
 * they bring the mirror to, in one transaction into the target region. Whatever stops it — a crash, a
 * failed commit, a broker loss — it resumes from the positions committed with the records, after fencing
 * every other instance with its transactional id: so each source record is in the target exactly once,
 * in the source's order (docs/adr/0011-mirror-transactions-with-positions-in-the-target.md).
 *
 * <pre>
 *   STARTING ──▶ MIRRORING ──(failure)──▶ RETRYING ──▶ MIRRORING
 *       │             │                       │
 *       └─────────────┴─▶ REFUSED | FENCED | STOPPED (the thread ends; the mirror's rescan may start a new one)
 * </pre>
 *
 * The consumer and the producer are used by the mirror's thread only. This class runs the thread and
 * its states; {@link MirrorResumption} (re)starts the copy, {@link MirrorTransaction} copies.
 */
final class TopicMirror {

    /** What a topic's mirror is doing. */
    enum State {
        STARTING, MIRRORING, RETRYING, REFUSED, FENCED, STOPPED;

        /** Whether the thread has ended. */
        boolean isFinal() {
            return this == REFUSED || this == FENCED || this == STOPPED;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);

    private final MirrorSettings settings;
    private final String topic;
    private final MirrorMeters meters;
    private final MirrorClients clients;
    private final MirrorResumption resumption;
    private final MirrorTransaction transaction;
    private final CopyCurrency currency = new CopyCurrency();
    private volatile State state = State.STARTING;
    private volatile String problem = "";
    private volatile boolean running = true;
    /** Set from the rescan: the thread resumes again (fence, checks, registration) after its current transaction. */
    private volatile boolean resumeAgain;
    /** Whether the thread is resuming now: what the last resume found is about to change. */
    private volatile boolean resuming;
    private Thread thread;

    TopicMirror(MirrorSettings settings, String topic, TargetTopics targetTopics, PositionsTopic positions,
                PositionsTopic sourcePositions, CopyIncarnations incarnations, OpenTransactions openTransactions, MirrorMeters meters,
                MirrorHooks hooks, RegistryCopies registries) {
        this.settings = settings;
        this.topic = topic;
        this.meters = meters;
        this.clients = new MirrorClients(settings, topic);
        WrittenPositions written = new WrittenPositions(settings, topic);
        HomeLeaseGrants grants = new HomeLeaseGrants(settings, topic, clients::sourceRegistry);
        this.resumption = new MirrorResumption(settings, topic, targetTopics, positions, sourcePositions, openTransactions,
                registries, new CopyReplacement(settings, topic, targetTopics, incarnations, registries), clients, written, currency, grants);
        this.transaction = new MirrorTransaction(settings, topic, clients, written, grants, currency, meters, hooks,
                new MirrorProgressLog(topic, meters));
    }

    void start() {
        thread = DaemonThreads.start("mirror-" + topic, this::run);
    }

    String topic() {
        return topic;
    }

    MirrorMeters meters() {
        return meters;
    }

    State state() {
        return state;
    }

    /**
     * Whether the mirror copies without having registered the copy (nor bound the home lease) because the source's
     * registry did not hold the namespace at its last resume: a namespace being created, whose topic comes first.
     */
    boolean awaitsRegistry() {
        return state == State.MIRRORING && !resuming && !resumeAgain && resumption.awaitsRegistry();
    }

    /**
     * Whether the mirror copies another incarnation of its source topic than the one now named {@code current} (the
     * namespace was deleted and created again since its last resume, and its consumer may read the new log from the old
     * positions).
     */
    boolean copiesAnotherThan(Uuid current) {
        Uuid copied = resumption.sourceTopicId();
        return state == State.MIRRORING && !resuming && !resumeAgain && copied != null && !copied.equals(current);
    }

    /**
     * Makes the thread resume again after its current transaction: once the source's registry holds the namespace, or
     * the source topic is another incarnation.
     */
    void resumeAgain() {
        resumeAgain = true;
    }

    /** Why the mirror is refused, retrying or fenced; empty otherwise. */
    String problem() {
        return problem;
    }

    /**
     * Stops the thread and waits for it, at most {@code timeout}. What it has in flight is never committed: the
     * thread first gets half the time to abort its open transaction (so that the target's {@code read_committed}
     * readers are not held back until the transaction times out), then is interrupted.
     */
    void stop(Duration timeout) throws InterruptedException {
        running = false;
        clients.wakeup();
        if (thread != null) {
            thread.join(Math.max(1, timeout.toMillis() / 2));
            thread.interrupt();
            thread.join(Math.max(1, timeout.toMillis() / 2));
        }
    }

    private void run() {
        try {
            while (running) {
                // Fenced while mirroring or while aborting after a failure: another instance has taken over.
                try {
                    attempt();
                } catch (ProducerFencedException e) {
                    end(State.FENCED, "another instance of this mirror took over (transactional id "
                            + settings.transactionalId(topic) + ")");
                    return;
                } catch (MirrorRefusedException e) {
                    end(State.REFUSED, e.getMessage());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Stopping interrupts the thread, also while it closes its clients: they close whatever the interrupt.
            clients.close();
            if (!state.isFinal()) {
                state = State.STOPPED;
            }
        }
    }

    /** Resumes and mirrors until stopped, asked to resume again, or a failure, after which it waits out the backoff. */
    private void attempt() throws InterruptedException {
        try {
            resuming = true;
            resumeAgain = false;
            resumption.resume();
            state = State.MIRRORING;
            problem = "";
            resuming = false;
            while (running && !resumeAgain) {
                transaction.mirrorOnce();
                if (resumption.awaitsCatchUp() && currency.completeAsOfMs() >= 0) {
                    // A new copy has caught up: a resume binds the home's lease and registers it.
                    resumption.caughtUp();
                    resumeAgain = true;
                }
            }
        } catch (ProducerFencedException | MirrorRefusedException e) {
            throw e;
        } catch (InvalidProducerEpochException e) {
            // Another instance (or a promotion's revocation) took the transactional id while this one was in a transaction.
            throw new ProducerFencedException(e.getMessage());
        } catch (WakeupException | InterruptException | InterruptedException e) {
            if (running) {
                retryAfter(e);
            } else {
                // Stopped in the middle of a transaction: ended now rather than when the target times it out.
                try {
                    clients.abortQuietly();
                } catch (ProducerFencedException fenced) {
                    log.debug("event=mirror_stop_fenced topic={}", topic);
                }
            }
        } catch (KafkaException | KafkaUnavailableException e) {
            retryAfter(e);
        } catch (RuntimeException e) {
            // Not expected; tried again like a Kafka failure rather than ending the thread unseen.
            log.error("event=mirror_unexpected_failure topic={}", topic, e);
            retryAfter(e);
        }
    }

    private void end(State finalState, String why) {
        problem = why;
        state = finalState;
        log.error("event=mirror_{} topic={} reason=\"{}\"", finalState.name().toLowerCase(java.util.Locale.ROOT), topic, why);
    }

    /** A failure whose transaction may or may not have committed: a fresh producer fences and resumes from the positions. */
    private void retryAfter(Exception e) throws InterruptedException {
        state = State.RETRYING;
        problem = String.valueOf(e.getMessage());
        log.warn("event=mirror_retry topic={} backoff_ms={} error=\"{}\"", topic, settings.retryBackoff().toMillis(),
                e.getCause() == null ? e.toString() : e + " caused by " + e.getCause());
        clients.abortQuietly();
        clients.closeProducer();
        Thread.sleep(settings.retryBackoff().toMillis());
    }
}
