package io.logkv.query.config;

import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The {@code logkv.limits.*} properties: what a request may hold.
 *
 * @param maxKeyBytes   the longest key, in UTF-8 bytes
 * @param maxValueBytes the largest value
 */
public record RequestLimits(
        @DefaultValue("1024") int maxKeyBytes,
        @DefaultValue("1MB") DataSize maxValueBytes) {
}
