package io.logkv.query.security;

import java.util.Locale;

/** What a caller may do in a namespace. */
public enum Right {
    /** Read keys: get, batch-get, scan, watch; describe the namespace. */
    READ,
    /** Write keys: put, delete. */
    WRITE,
    /** Create, change and delete the namespace; its admin endpoints. On every namespace ({@code admin:*}): the node's. */
    ADMIN;

    /** The right a grant names ({@code read}, {@code write}, {@code admin}). */
    static Right named(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a right is read, write or admin, not '" + name + "'");
        }
    }

    String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
