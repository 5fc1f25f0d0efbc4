package io.logkv.query.security;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rights of one caller, per namespace pattern: grants written {@code <right>:<pattern>}, such as
 * {@code read:orders-*} or {@code admin:*}. A pattern is namespace characters and {@code *}, which stands for
 * any run of characters; {@code *} alone covers every namespace, including those not created yet. Immutable.
 */
public final class Grants {

    private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_*-]{1,200}");

    /** Every right on every namespace: nodes acting for themselves. */
    public static final Grants ALL = parse(List.of("read:*", "write:*", "admin:*"));

    private final List<Grant> grants;
    private final String text;

    private Grants(List<Grant> grants) {
        this.grants = List.copyOf(grants);
        this.text = String.join(" ", this.grants.stream().map(Grant::text).toList());
    }

    /**
     * The grants written as {@code <right>:<pattern>}.
     *
     * @throws IllegalArgumentException for a grant that is not one
     */
    public static Grants parse(List<String> written) {
        List<Grant> grants = new ArrayList<>(written.size());
        for (String grant : written) {
            int colon = grant.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("a grant is <right>:<namespace pattern>, not '" + grant + "'");
            }
            String pattern = grant.substring(colon + 1).strip();
            if (!PATTERN.matcher(pattern).matches()) {
                throw new IllegalArgumentException("a namespace pattern is namespace characters and '*', not '" + pattern + "'");
            }
            grants.add(new Grant(Right.named(grant.substring(0, colon).strip()), pattern));
        }
        return new Grants(grants);
    }

    /** Grants written one after the other, separated by spaces (the form nodes pass them on in). */
    public static Grants parse(String spaceSeparated) {
        return parse(spaceSeparated.isBlank() ? List.of() : List.of(spaceSeparated.strip().split(" +")));
    }

    /** Whether the caller has {@code right} in {@code namespace}. */
    public boolean allows(String namespace, Right right) {
        for (Grant grant : grants) {
            if (grant.right() == right && matches(grant.pattern(), namespace)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the caller has any right in {@code namespace}: whether it may see it. */
    public boolean allowsAny(String namespace) {
        for (Grant grant : grants) {
            if (matches(grant.pattern(), namespace)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the caller has {@code right} in every namespace (a grant with the pattern {@code *}). */
    public boolean allowsEverywhere(Right right) {
        for (Grant grant : grants) {
            if (grant.right() == right && grant.pattern().equals("*")) {
                return true;
            }
        }
        return false;
    }

    /** The grants separated by spaces; {@link #parse(String)} reads them back. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    /** A glob match with {@code *} only, without building a regular expression per request. */
    static boolean matches(String pattern, String name) {
        int p = 0;
        int n = 0;
        int star = -1;
        int resume = 0;
        while (n < name.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                resume = n;
            } else if (p < pattern.length() && pattern.charAt(p) == name.charAt(n)) {
                p++;
                n++;
            } else if (star >= 0) {
                p = star + 1;
                n = ++resume;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    private record Grant(Right right, String pattern) {
        String text() {
            return right.text() + ":" + pattern;
        }
    }
}
