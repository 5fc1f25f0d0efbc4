package io.logkv.benchmark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Every run of one case on one topic; the median run is the one reported. */
final class CaseRuns {

    private final String name;
    private final long topicRecords;
    private final List<Measurement> runs = new ArrayList<>();

    CaseRuns(String name, long topicRecords) {
        this.name = name;
        this.topicRecords = topicRecords;
    }

    void add(Measurement measurement) {
        runs.add(measurement);
    }

    String name() {
        return name;
    }

    long topicRecords() {
        return topicRecords;
    }

    /** The run with the median duration (the upper middle one when the count is even). */
    Measurement median() {
        List<Measurement> sorted = runs.stream().sorted(Comparator.comparingLong(Measurement::nanos)).toList();
        return sorted.get(sorted.size() / 2);
    }

    /**
     * The median CPU time this JVM used per run (brokers, client and stores together), or NaN when
     * unknown. On a machine shared with other work this moves less than wall time does.
     */
    double medianJvmCoreSeconds() {
        List<Double> cpu = runs.stream().map(m -> m.cpuUse().jvmCoreSeconds()).filter(c -> !c.isNaN()).sorted().toList();
        return cpu.isEmpty() ? Double.NaN : cpu.get(cpu.size() / 2);
    }

    List<Measurement> runs() {
        return List.copyOf(runs);
    }
}
