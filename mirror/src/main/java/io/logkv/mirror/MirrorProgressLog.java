package io.logkv.mirror;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A topic's mirror's progress line: records copied and their rate, every ten seconds while records flow. Mirror's thread only. */
final class MirrorProgressLog {

    /** The mirror's events keep the logger name they have always had. */
    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);

    private final String topic;
    private final MirrorMeters meters;
    private long recordsSinceProgress;
    private long lastProgressNanos = System.nanoTime();

    MirrorProgressLog(String topic, MirrorMeters meters) {
        this.topic = topic;
        this.meters = meters;
    }

    void copied(int records) {
        recordsSinceProgress += records;
    }

    /** Logs the progress since the last line, if the interval has passed and records were copied. */
    void logIfDue() {
        long now = System.nanoTime();
        if (now - lastProgressNanos < PROGRESS_INTERVAL.toNanos()) {
            return;
        }
        if (recordsSinceProgress > 0) {
            double seconds = (now - lastProgressNanos) / 1e9;
            log.info("event=mirror_progress topic={} records={} records_per_second={} lag_records={}", topic, recordsSinceProgress,
                    Math.round(recordsSinceProgress / seconds), meters.lagRecords());
        }
        recordsSinceProgress = 0;
        lastProgressNanos = now;
    }
}
