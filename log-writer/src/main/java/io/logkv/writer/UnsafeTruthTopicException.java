package io.logkv.writer;

import java.util.List;

/** A truth topic whose settings could lose acknowledged writes; LogKV will not serve from it. */
public class UnsafeTruthTopicException extends RuntimeException {

    private final List<String> violations;

    public UnsafeTruthTopicException(List<String> violations) {
        super("refusing to serve from a truth topic that could lose acknowledged writes: " + String.join("; ", violations));
        this.violations = List.copyOf(violations);
    }

    public List<String> violations() {
        return violations;
    }
}
