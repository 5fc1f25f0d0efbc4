package io.logkv.benchmark;

/** The copiers the mirror comparison times, in the order each repetition runs them. */
enum MirrorCase {

    RAW("raw copy: consumer + idempotent producer (baseline)", "raw"),
    LOGKV("LogKV mirror (transactions with positions)", "logkv"),
    LOGKV_ONE_POLL("LogKV mirror, one poll per transaction (commit interval 0)", "logkv-one-poll"),
    MM2("MirrorMaker 2, exactly-once source support", "mm2");

    private final String label;
    private final String tag;

    MirrorCase(String label, String tag) {
        this.label = label;
        this.tag = tag;
    }

    /** The case's name in the report. */
    String label() {
        return label;
    }

    /** The case's short name inside its topics' namespace names. */
    String tag() {
        return tag;
    }

    /** Whether the copier is LogKV's mirror, which creates (and checks) its target topic itself. */
    boolean logKvMirror() {
        return this == LOGKV || this == LOGKV_ONE_POLL;
    }
}
