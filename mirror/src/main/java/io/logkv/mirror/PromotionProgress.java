package io.logkv.mirror;

import java.io.PrintStream;

/** Where a promotion tells its steps as it takes them: a line each, flushed at once, for the operator watching it. */
final class PromotionProgress {

    private final PrintStream out;

    PromotionProgress(PrintStream out) {
        this.out = out;
    }

    void say(String line) {
        out.println(line);
        out.flush();
    }
}
