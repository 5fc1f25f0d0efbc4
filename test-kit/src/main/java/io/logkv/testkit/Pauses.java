package io.logkv.testkit;

/** Pauses of workloads and pollers in tests and benchmarks. */
public final class Pauses {

    private Pauses() {
    }

    /** Sleeps {@code millis}; an interrupt ends the pause early and stays set for the caller's loop to see. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sleeps {@code millis}; an interrupt fails the caller (it stays set). */
    public static void sleepOrFail(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
