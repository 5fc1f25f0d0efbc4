package io.logkv.mirror;

import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import io.logkv.writer.KafkaUnavailableException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * Makes the region holding a namespace's copy its home: {@code bin/logkv promote NAMESPACE --region b}
 * (docs/adr/0020-promotion-of-another-region.md, docs/operations.md "Region loss"). The settings' source
 * region is the old home, their target the region promoted.
 *
 * <p>With the old home reachable (a planned promotion, nothing lost):
 * <ol>
 *   <li>the old home's registry names the new home: its nodes stop owning the namespace and refuse its writes;</li>
 *   <li>every truth partition's transactional id is taken in the old home, which fences its writers: an open
 *       transaction is aborted, and an owner that takes the id again afterwards reads the registry first
 *       ({@code NamespaceHomes}) and does not write;</li>
 *   <li>the mirror carries the old home's log to its end (now final) into the new home;</li>
 *   <li>the old home's positions topic gets the positions of a mirror from the new home that start where the
 *       copy ends, so that a mirror back carries only the new home's writes;</li>
 *   <li>the new home's registry names it home: its nodes take the partitions and write.</li>
 * </ol>
 * No write is accepted by two homes: the old home's writers are fenced (1, 2) before the new home's take over (5).
 *
 * <p>With the old home lost ({@code force}): the mirror into the new home is fenced and the old home's home lease
 * revoked ({@link HomeLeaseRevocation}); once the lease has run out no node of the old home acknowledges a write,
 * whether it is down, cut off or still running; then step 5. The writes the mirror had not carried are lost (the
 * copy's lag, reported, and what the old home acknowledged until its lease ran out). Run the promotion again once
 * the old home is reachable, and it completes steps 1, 2 and 4 (or says how to rebuild the old home's copy when it
 * holds records the new home never received).
 */
public final class Promotion {

    /**
     * What a promotion did.
     *
     * @param planned      whether the old home was reachable and fenced (nothing lost)
     * @param lagMs        force: how old the new home's copy was (data at risk, in time); planned: 0
     * @param uncarried    records of the old home's log the new home never received, by partition (planned: none;
     *                     force: unknown until the old home is reachable, empty)
     * @param tookMs       how long the promotion took
     */
    public record Outcome(boolean planned, long lagMs, Map<Integer, Long> uncarried, long tookMs) {
    }

    private final MirrorSettings settings;
    private final NamespaceName namespace;
    private final Duration drainTimeout;
    private final PromotionProgress progress;
    private final RegistryEntry oldHomeEntry;
    private final RegistryEntry newHomeEntry;
    private final WritersFence fence;
    private final TruthLogReads logs;

    /**
     * @param settings     source: the old home; target: the region promoted
     * @param writersGroup the writers' group id of the old home's nodes ({@code logkv.writer.group-id})
     * @param drainTimeout how long a planned promotion waits for the mirror to carry the old home's log
     * @param progress     where each step is told
     */
    public Promotion(MirrorSettings settings, NamespaceName namespace, String writersGroup, Duration drainTimeout, PrintStream progress) {
        this.settings = settings;
        this.namespace = namespace;
        this.drainTimeout = drainTimeout;
        this.progress = new PromotionProgress(progress);
        this.oldHomeEntry = new RegistryEntry(settings.sourceKafka(), namespace, settings);
        this.newHomeEntry = new RegistryEntry(settings.targetKafka(), namespace, settings);
        this.fence = new WritersFence(settings, namespace, writersGroup);
        this.logs = new TruthLogReads(settings, namespace);
    }

    /**
     * The home a region's registry names for {@code namespace}: empty when the region holds no such namespace; the
     * region itself ({@code self}) when the entry names no other.
     */
    public static Optional<RegionName> homeIn(KafkaConnection region, RegionName self, NamespaceName namespace, Duration timeout) {
        return RegistryEntry.homeIn(region, self, namespace, timeout);
    }

    /**
     * Promotes the target region.
     *
     * @param force promote although the old home cannot be reached (its uncarried writes are lost)
     * @throws PromotionRefusedException when the registries do not describe a copy of the old home in the target,
     *                                   or when the old home holds writes the new home never received
     * @throws PromotionIncompleteException when a cluster needed cannot be reached (the old home, without force) or
     *                                      the mirror does not carry the old home's log in time: run it again
     */
    public Outcome promote(boolean force) throws InterruptedException {
        try {
            return promoteOrFail(force);
        } catch (KafkaUnavailableException e) {
            throw new PromotionIncompleteException(e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"), e);
        } catch (org.apache.kafka.common.KafkaException e) {
            // A client's own failure (a timeout, an interrupt): nothing is known to be half done that a new run would not finish.
            throw new PromotionIncompleteException("a Kafka call failed: " + e, e);
        }
    }

    private Outcome promoteOrFail(boolean force) throws InterruptedException {
        long started = System.nanoTime();
        RegionName oldHome = settings.sourceRegion();
        RegionName newHome = settings.targetRegion();
        NamespaceSettings copy = newHomeEntry.read().orElseThrow(() -> new PromotionRefusedException(
                "region " + newHome + " holds no namespace " + namespace));
        boolean alreadyHome = copy.home() == null;
        if (!alreadyHome && !oldHome.equals(copy.home())) {
            throw new PromotionRefusedException("region " + newHome + " holds " + namespace + " as a copy of region " + copy.home()
                    + ", not of " + oldHome);
        }
        return force ? forced(copy, alreadyHome, started) : planned(copy, alreadyHome, started);
    }

    /**
     * The old home cannot be reached, so it is neither fenced nor drained: the mirror into the new home is fenced
     * and the old home's lease revoked, the promotion waits until the lease has run out (no node of the old home
     * acknowledges a write after that, running or not), then step 5.
     */
    private Outcome forced(NamespaceSettings copy, boolean alreadyHome, long started) throws InterruptedException {
        RegionName newHome = settings.targetRegion();
        if (alreadyHome) {
            progress.say("region " + newHome + " is already the home of " + namespace);
            return new Outcome(false, 0, Map.of(), millisSince(started));
        }
        long lagMs;
        try (Admin newAdmin = Admin.create(settings.targetKafka().properties())) {
            lagMs = new CarriedPositions(newAdmin, settings, namespace).copyLagMs();
            Optional<HomeLeaseRevocation.Revoked> revoked = new HomeLeaseRevocation(settings, namespace).revoke(newAdmin);
            if (revoked.isPresent()) {
                awaitLeaseEnd(revoked.get());
            } else {
                progress.say("no mirror granted region " + settings.sourceRegion() + " a home lease of " + namespace
                        + ": nothing stops its nodes from taking writes; keep them stopped until the promotion is run again");
            }
        }
        new HomeLeaseHandover(settings, namespace).release();
        newHomeEntry.write(copy.withHome(null));
        progress.say("region " + newHome + " is the home of " + namespace + " (forced: the writes the mirror had not carried are lost;"
                + " the copy was " + (lagMs < 0 ? "of unknown age" : lagMs + " ms old") + "). Run the promotion again once region "
                + settings.sourceRegion() + " is reachable");
        return new Outcome(false, lagMs, Map.of(), millisSince(started));
    }

    /** Waits, telling how long is left, until no node of the old home holds the revoked lease. */
    private void awaitLeaseEnd(HomeLeaseRevocation.Revoked revoked) throws InterruptedException {
        long nextReport = 0;
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(revoked.leftNanos(System.nanoTime()));
            if (left < 0) {
                progress.say("region " + settings.sourceRegion() + "'s home lease of " + namespace + " has run out: its nodes refuse writes");
                return;
            }
            if (System.nanoTime() > nextReport) {
                progress.say("the mirror into region " + settings.targetRegion() + " is fenced and region " + settings.sourceRegion()
                        + "'s home lease revoked; waiting " + (left + 999) / 1000 + " s for it to run out");
                nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(Math.min(left + 1, 200));
        }
    }

    /** Steps 1 to 5, each skipped when an earlier run (planned or forced) has taken it already. */
    private Outcome planned(NamespaceSettings copy, boolean alreadyHome, long started) throws InterruptedException {
        RegionName oldHome = settings.sourceRegion();
        RegionName newHome = settings.targetRegion();
        try (Admin oldAdmin = Admin.create(settings.sourceKafka().properties());
             Admin newAdmin = Admin.create(settings.targetKafka().properties())) {
            NamespaceSettings home = oldHomeEntry.read().orElseThrow(() -> new PromotionRefusedException(
                    "region " + oldHome + " holds no namespace " + namespace));
            if (!oldHome.equals(home.home())) {
                oldHomeEntry.write(home.withHome(newHome));
                progress.say("1/5 region " + oldHome + "'s registry names " + newHome + " as the home of " + namespace);
            }
            int partitions = copy.partitions();
            fence.fence(partitions);
            progress.say("2/5 the writers of " + namespace + " in region " + oldHome + " are fenced (" + partitions + " partitions)");
            CarriedPositions carriedPositions = new CarriedPositions(newAdmin, settings, namespace);
            Map<Integer, Long> oldEnds = logs.ends(oldAdmin, partitions);
            Map<Integer, Long> carried = carriedPositions.awaitCarried(oldEnds, alreadyHome, drainTimeout, progress);
            Map<Integer, Long> uncarried = logs.recordsBetween(carried, oldEnds);
            if (!uncarried.isEmpty()) {
                throw new PromotionRefusedException("region " + oldHome + " holds " + uncarried.values().stream().mapToLong(Long::longValue).sum()
                        + " records of " + namespace + " that region " + newHome + " never received (by partition: " + uncarried
                        + "), written before the forced promotion: its copy must be rebuilt from region " + newHome
                        + " (docs/operations.md, \"Region loss\")");
            }
            progress.say("3/5 region " + newHome + " holds the whole log of " + namespace + " as region " + oldHome + " wrote it");
            MirrorBackSeed mirrorBack = new MirrorBackSeed(oldAdmin, settings, namespace);
            if (!alreadyHome) {
                mirrorBack.seed(oldEnds, logs.ends(newAdmin, partitions), true);
                new HomeLeaseHandover(settings, namespace).grant(oldAdmin);
                progress.say("4/5 a mirror from " + newHome + " to " + oldHome + " starts at the end of the copy");
                newHomeEntry.write(copy.withHome(null));
            } else {
                mirrorBack.seed(oldEnds, carriedPositions.carriedEnds(partitions), false);
                progress.say("4/5 a mirror from " + newHome + " to " + oldHome + " starts where the copy ended");
            }
            progress.say("5/5 region " + newHome + " is the home of " + namespace);
            return new Outcome(true, 0, Map.of(), millisSince(started));
        }
    }

    private static long millisSince(long startedNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }
}
