package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.hot-keys.*} properties: finding the keys a node serves most.
 *
 * @param enabled  whether the node counts reads and writes per key at all
 * @param window   how long each count runs; the report covers the last whole window
 * @param minRate  requests a second (reads and writes together) from which a key is reported as hot
 * @param tracked  keys counted at once at most; the least requested give way (so a flood of distinct keys
 *                 costs bounded memory and cannot hide the hot ones)
 * @param reported hot keys reported at most, hottest first
 */
public record HotKeyProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("10s") Duration window,
        @DefaultValue("200") long minRate,
        @DefaultValue("10000") int tracked,
        @DefaultValue("20") int reported) {
}
