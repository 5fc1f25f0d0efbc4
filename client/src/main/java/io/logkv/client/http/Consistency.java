package io.logkv.client.http;

/** How current a read must be (API.md, "Consistency"). */
public enum Consistency {
    /** From any replica, possibly a moment behind; the fastest. */
    EVENTUAL,
    /** At least what the session's token covers: its own writes and whatever it read before. */
    SESSION,
    /** Everything committed to the key's partition before the read began. */
    STRONG;

    String parameter() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
