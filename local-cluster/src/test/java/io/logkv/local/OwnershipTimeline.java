package io.logkv.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Who owns which partition, as one node sees the writers' group, polled every {@value #POLL_MS} ms while a
 * fault plays: when the group dropped a node, when it took one back. Each change is kept with its time.
 */
final class OwnershipTimeline implements AutoCloseable {

    private static final long POLL_MS = 200;

    /** One observed ownership: every partition's owner URL (partitions without one are missing). */
    record Change(long atNanos, Map<Integer, String> owners) {
    }

    private final LogKvHttp http;
    private final String viaUrl;
    private final List<Change> changes = new ArrayList<>();
    private final Thread poller;
    private volatile boolean running = true;

    OwnershipTimeline(LogKvHttp http, String viaUrl) {
        this.http = http;
        this.viaUrl = viaUrl;
        this.poller = new Thread(this::poll, "ownership-timeline");
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        Map<Integer, String> last = null;
        while (running) {
            Map<Integer, String> owners = http.owners(viaUrl).map(TreeMap::new).orElse(null);
            if (owners != null && !Objects.equals(owners, last)) {
                synchronized (changes) {
                    changes.add(new Change(System.nanoTime(), owners));
                }
                last = owners;
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The first time after {@code sinceNanos} that the owners passed {@code test}, in ms after it. */
    OptionalLong firstAfterMs(long sinceNanos, Predicate<Map<Integer, String>> test) {
        synchronized (changes) {
            return changes.stream()
                    .filter(change -> change.atNanos() >= sinceNanos && change.owners().size() == ProcessCluster.PARTITIONS
                            && test.test(change.owners()))
                    .mapToLong(change -> TimeUnit.NANOSECONDS.toMillis(change.atNanos() - sinceNanos))
                    .findFirst();
        }
    }

    /** Every change, with its time relative to {@code originNanos}, one per line. */
    String describe(long originNanos) {
        StringBuilder text = new StringBuilder();
        synchronized (changes) {
            for (Change change : changes) {
                text.append(String.format("  %+7d ms  %s%n", TimeUnit.NANOSECONDS.toMillis(change.atNanos() - originNanos), change.owners()));
            }
        }
        return text.toString();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        poller.interrupt();
        poller.join(10_000);
    }
}
