package io.logkv.benchmark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything one benchmark run measured, in the order first measured, plus free-text findings. */
public final class BenchResults {

    private final Map<String, CaseFigures> cases = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    /** Records one run of a case; the first run of a case fixes its baseline and kind of ratio. */
    public synchronized void add(String section, String name, String load, String baseline, CaseFigures.Ratio ratio,
                                 RunSample run) {
        cases.computeIfAbsent(key(section, name, load),
                k -> new CaseFigures(section, name, load, baseline, ratio, List.of())).add(run);
    }

    public synchronized void note(String note) {
        notes.add(note);
    }

    public synchronized List<CaseFigures> cases() {
        return List.copyOf(cases.values());
    }

    public synchronized List<CaseFigures> section(String section) {
        return cases.values().stream().filter(c -> c.section().equals(section)).toList();
    }

    public synchronized List<String> notes() {
        return List.copyOf(notes);
    }

    /** The baseline a case is compared with: the named case in the same section under the same load. */
    public synchronized CaseFigures baselineOf(CaseFigures figures) {
        return figures.baseline() == null ? null : cases.get(key(figures.section(), figures.baseline(), figures.load()));
    }

    private static String key(String section, String name, String load) {
        return section + "\u0000" + name + "\u0000" + load;
    }
}
