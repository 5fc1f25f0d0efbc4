package io.logkv.local;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A run's history checked against the truth topic as a read_committed consumer sees it after the run
 * ({@link CommittedKeys#versions}): every acknowledged write is there with the version it was acknowledged
 * with, no key was committed twice, and what a node serves is exactly what was committed.
 */
final class CommittedLogCheck {

    private final Map<String, List<String>> committed;

    CommittedLogCheck(Map<String, List<String>> committed) {
        this.committed = committed;
    }

    static CommittedLogCheck read(String bootstrapServers) {
        return new CommittedLogCheck(CommittedKeys.versions(bootstrapServers, ProcessCluster.TRUTH_TOPIC));
    }

    int committedKeys() {
        return committed.size();
    }

    /** Acknowledged writes missing from the log. */
    List<String> lost(Map<String, String> acknowledged) {
        return acknowledged.keySet().stream().filter(key -> !committed.containsKey(key)).sorted().toList();
    }

    /** Acknowledged writes committed with another version than the one the client was given. */
    List<String> acknowledgedWithAnotherVersion(Map<String, String> acknowledged) {
        List<String> wrong = new ArrayList<>();
        acknowledged.forEach((key, version) -> {
            List<String> versions = committed.get(key);
            if (versions != null && !versions.contains(version)) {
                wrong.add(key + ": acknowledged " + version + ", committed " + versions);
            }
        });
        return wrong;
    }

    /** Keys of {@code failed} (writes the node answered as certainly not applied) that the log holds anyway. */
    List<String> committedDespiteFailure(Collection<String> failed) {
        return failed.stream().filter(committed::containsKey).map(key -> key + ": committed " + committed.get(key)).sorted().toList();
    }

    /**
     * Of the writes answered with a clean failure, those the log holds anyway, each with how long after the
     * failure answer its record was written (from the hybrid-clock time in its version): a 503 is no promise
     * that the write did not happen, but a write committed long after its client gave up is one that may
     * overwrite what the client wrote next.
     *
     * @return milliseconds from the failure answer to the commit, by key
     */
    Map<String, Long> committedAfterFailure(Collection<FaultWorkload.Op> failed) {
        Map<String, Long> late = new TreeMap<>();
        for (FaultWorkload.Op op : failed) {
            List<String> versions = committed.get(op.key());
            if (versions != null) {
                long writtenMs = Long.parseUnsignedLong(versions.get(0).substring(0, 16), 16) >>> 16;
                late.put(op.key(), writtenMs - op.endEpochMs());
            }
        }
        return late;
    }

    /**
     * Keys committed more than once among {@code keys}: each was written by one request (retried only under
     * its own Idempotency-Key), so a second record is a duplicate or a deposed owner's write made visible.
     */
    List<String> committedTwice(Collection<String> keys) {
        return keys.stream().filter(key -> committed.getOrDefault(key, List.of()).size() > 1)
                .map(key -> key + ": " + committed.get(key)).sorted().toList();
    }

    /**
     * Keys a node serves differently from the log: a value the log does not hold (a record that was never
     * committed), a missing value, or another version.
     *
     * @param served the version each key was read with (null: not found)
     */
    List<String> servedDifferently(Map<String, String> served) {
        List<String> wrong = new ArrayList<>();
        served.forEach((key, version) -> {
            List<String> versions = committed.get(key);
            String last = versions == null ? null : versions.get(versions.size() - 1);
            if (!Objects.equals(version, last)) {
                wrong.add(key + ": served " + version + ", committed " + versions);
            }
        });
        return wrong;
    }
}
