package io.logkv.core;

import java.util.regex.Pattern;

/**
 * The validated name of a region (one Kafka cluster with its LogKV nodes): 1 to 64 characters of
 * {@code [A-Za-z0-9_-]}, so that it can be part of a transactional id and of a positions key without
 * escaping.
 */
public record RegionName(String value) {

    private static final Pattern LEGAL = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public RegionName {
        if (value == null || !LEGAL.matcher(value).matches()) {
            throw new IllegalArgumentException("region names are 1 to 64 characters of letters, digits, '_' and '-': " + value);
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
