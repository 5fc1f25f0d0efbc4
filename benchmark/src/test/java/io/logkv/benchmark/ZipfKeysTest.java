package io.logkv.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ZipfKeysTest {

    @Test
    void drawsStayInRangeAndTheHottestRanksDominate() {
        long keys = 1_000_000;
        ZipfKeys zipf = new ZipfKeys(keys, 0.99);
        int draws = 200_000;
        int top10 = 0;
        int rankOne = 0;
        for (int i = 0; i < draws; i++) {
            long rank = zipf.nextRank();
            assertThat(rank).isBetween(1L, keys);
            if (rank <= 10) {
                top10++;
            }
            if (rank == 1) {
                rankOne++;
            }
            assertThat(zipf.next()).isBetween(0L, keys - 1);
        }
        // Under a uniform choice the 10 hottest of a million keys would get 2 of 200,000 draws; under Zipf(0.99)
        // about a fifth (H(10) / H(1,000,000) ≈ 2.9 / 14.4).
        assertThat(top10).isBetween(draws / 8, draws / 3);
        assertThat(rankOne).isGreaterThan(draws / 40);
    }
}
