package io.logkv.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A scan's page merged from its partitions' pages never skips a key any partition may hold before its continuation. */
class ScanPagesTest {

    private static ScanPages.Merged<String> merge(int limit, List<ScanPages.Part<String>> parts) {
        return ScanPages.merge(parts, key -> key.getBytes(StandardCharsets.UTF_8), limit);
    }

    @Test
    void thePageStopsAtTheLeastLastKeyOfAPartitionThatMayHoldMore() {
        // Partition 0 ended at its bound after "c": it may hold "d"; partition 1's "e" and "f" wait for the next page.
        ScanPages.Merged<String> page = merge(1000, List.of(new ScanPages.Part<>(List.of("a", "c"), true),
                new ScanPages.Part<>(List.of("b", "e", "f"), false)));
        assertThat(page.items()).containsExactly("a", "b", "c");
        assertThat(page.more()).isTrue();
    }

    @Test
    void thePageStopsAtItsLimitOfKeys() {
        ScanPages.Merged<String> page = merge(2, List.of(new ScanPages.Part<>(List.of("a", "c"), false),
                new ScanPages.Part<>(List.of("b"), false)));
        assertThat(page.items()).containsExactly("a", "b");
        assertThat(page.more()).isTrue();
    }

    @Test
    void partitionsThatHoldNoMoreEndTheScan() {
        ScanPages.Merged<String> page = merge(10, List.of(new ScanPages.Part<>(List.of("b"), false),
                new ScanPages.Part<>(List.of("a"), false), new ScanPages.Part<>(List.of(), false)));
        assertThat(page.items()).containsExactly("a", "b");
        assertThat(page.more()).isFalse();
    }

    @Test
    void keysCompareAsUnsignedBytes() {
        // "é" (0xC3 0xA9) sorts after "z" bytewise.
        ScanPages.Merged<String> page = merge(10, List.of(new ScanPages.Part<>(List.of("é"), true),
                new ScanPages.Part<>(List.of("a", "z", "éa"), false)));
        assertThat(page.items()).containsExactly("a", "z", "é");
        assertThat(page.more()).isTrue();
    }
}
