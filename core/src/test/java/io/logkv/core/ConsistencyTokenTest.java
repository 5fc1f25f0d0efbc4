package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConsistencyTokenTest {

    private final NamespaceName orders = new NamespaceName("orders");
    private final NamespaceName users = new NamespaceName("users");

    @Test
    void positionsNameTheirRegion() {
        RegionName a = new RegionName("a");
        RegionName b = new RegionName("b");
        ConsistencyToken token = ConsistencyToken.of(orders, a, new LogPosition(1, 50))
                .merge(ConsistencyToken.of(orders, b, new LogPosition(1, 7)));
        ConsistencyToken decoded = ConsistencyToken.decode(token.encode());
        assertThat(decoded.positionFor(orders, a, 1)).isEqualTo(50);
        assertThat(decoded.positionFor(orders, b, 1)).as("each region's offsets are its own").isEqualTo(7);
        assertThat(decoded.positionFor(orders, 1)).as("a region without a name has positions of its own").isZero();
        assertThat(ConsistencyToken.of(orders, null, new LogPosition(1, 3))).isEqualTo(ConsistencyToken.of(orders, new LogPosition(1, 3)));
    }

    @Test
    void roundTripsThroughItsUrlSafeText() {
        ConsistencyToken token = ConsistencyToken.of(orders, new LogPosition(3, 1_234_567_890_123L))
                .merge(ConsistencyToken.of(users, new LogPosition(0, 1)));

        String text = token.encode();

        assertThat(text).matches("[A-Za-z0-9_-]+");
        assertThat(ConsistencyToken.decode(text)).isEqualTo(token);
        assertThat(ConsistencyToken.decode(text).positionFor(orders, 3)).isEqualTo(1_234_567_890_123L);
    }

    @Test
    void mergeKeepsTheHighestPositionPerPartition() {
        ConsistencyToken a = ConsistencyToken.of(orders, new LogPosition(0, 10))
                .merge(ConsistencyToken.of(orders, new LogPosition(1, 5)));
        ConsistencyToken b = ConsistencyToken.of(orders, new LogPosition(0, 7))
                .merge(ConsistencyToken.of(orders, new LogPosition(1, 9)));

        ConsistencyToken merged = a.merge(b);

        assertThat(merged.positionFor(orders, 0)).isEqualTo(10);
        assertThat(merged.positionFor(orders, 1)).isEqualTo(9);
        assertThat(merged).isEqualTo(b.merge(a));
    }

    @Test
    void namespacesDoNotShareAPosition() {
        ConsistencyToken token = ConsistencyToken.of(orders, new LogPosition(2, 40));

        assertThat(token.positionFor(users, 2)).isZero();
        assertThat(token.positionsFor(orders)).containsExactly(java.util.Map.entry(2, 40L));
        assertThat(token.positionsFor(users)).isEmpty();
    }

    @Test
    void headerValuesMayRepeatOrHoldSeveralTokens() {
        String t1 = ConsistencyToken.of(orders, new LogPosition(0, 3)).encode();
        String t2 = ConsistencyToken.of(orders, new LogPosition(0, 8)).encode();
        String t3 = ConsistencyToken.of(orders, new LogPosition(1, 2)).encode();

        ConsistencyToken merged = ConsistencyToken.decodeAll(List.of(t1 + ", " + t2, t3));

        assertThat(merged.positionFor(orders, 0)).isEqualTo(8);
        assertThat(merged.positionFor(orders, 1)).isEqualTo(2);
    }

    @Test
    void rejectsEverythingItDidNotIssue() {
        String good = ConsistencyToken.of(orders, new LogPosition(1, 99)).encode();
        for (String bad : List.of("", "   ", "not a token!", "AAAA", good.substring(0, good.length() - 2),
                good + "AA", "Ag", "AQ", "Af____________8B")) {
            assertThatThrownBy(() -> ConsistencyToken.decode(bad))
                    .as("token %s", bad)
                    .isInstanceOf(MalformedTokenException.class);
        }
    }
}
