package io.logkv.query.read;

import io.logkv.core.NamespaceName;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RequestSketchTest {

    private static final NamespaceName ORDERS = new NamespaceName("orders");
    private static final NamespaceName USERS = new NamespaceName("users");

    @Test
    void anEstimateIsNeverBelowTheTrueCountAndRarelyFarAboveIt() {
        RequestSketch sketch = new RequestSketch();
        Map<String, Long> truth = new HashMap<>();
        Map<String, Long> last = new HashMap<>();
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            // a skewed mix: a few hot keys among 5,000
            int id = random.nextInt(10) < 3 ? random.nextInt(5) : random.nextInt(5_000);
            String key = "k-" + id;
            truth.merge(key, 1L, Long::sum);
            last.put(key, (long) sketch.add(ORDERS, key.getBytes(StandardCharsets.UTF_8)));
        }
        long over = 0;
        for (Map.Entry<String, Long> entry : truth.entrySet()) {
            long estimate = last.get(entry.getKey());
            assertThat(estimate).as(entry.getKey()).isGreaterThanOrEqualTo(entry.getValue());
            over += estimate - entry.getValue();
        }
        assertThat((double) over / truth.size()).as("mean overstatement per key").isLessThan(20);
    }

    @Test
    void namespacesAreCountedApartAndClearForgetsEverything() {
        RequestSketch sketch = new RequestSketch();
        byte[] key = "same".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 50; i++) {
            sketch.add(ORDERS, key);
        }
        assertThat(sketch.add(USERS, key)).isEqualTo(1);
        sketch.clear();
        assertThat(sketch.add(ORDERS, key)).isEqualTo(1);
    }
}
