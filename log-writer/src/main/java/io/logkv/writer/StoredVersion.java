package io.logkv.writer;

import io.logkv.core.Version;

/**
 * The version of the value a key holds in a replica, expired or not, with its expiry: what the owner checks
 * conditions against.
 *
 * @param version     the value's version
 * @param expiresAtMs epoch ms after which the value reads as absent, or 0
 */
public record StoredVersion(Version version, long expiresAtMs) {

    /** Whether the value has expired at {@code nowMs}. */
    public boolean expiredAt(long nowMs) {
        return expiresAtMs != 0 && nowMs >= expiresAtMs;
    }
}
