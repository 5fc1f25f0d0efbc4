package io.logkv.writer;

import io.logkv.core.LogPosition;
import io.logkv.core.Version;

/**
 * An acknowledged write.
 *
 * @param version  the version the write created
 * @param position the log position that covers it: a replica that applied it reflects the write
 */
public record WriteOutcome(Version version, LogPosition position) {
}
