package io.logkv.client.http;

import io.logkv.core.ProblemTypes;

/**
 * A conditional write whose condition did not hold ({@code 412}): the key's version was not the one named,
 * or a put-if-absent found a live value. Nothing was written.
 */
public final class ConditionFailedException extends LogKvException {

    private final String currentVersion;

    public ConditionFailedException(String detail, String currentVersion) {
        super(412, ProblemTypes.PRECONDITION_FAILED, detail, null, null);
        this.currentVersion = currentVersion;
    }

    /** The key's version when the condition was checked, or null when it had no live value. */
    public String currentVersion() {
        return currentVersion;
    }
}
