package dev.astrabridge.astradb.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenSplitTest {

  /** The splits, sorted, must tile (MIN, MAX] with no gap and no overlap. */
  static void assertTilesTheRing(List<TokenSplit> splits) {
    List<TokenSplit> sorted = splits.stream().sorted(Comparator.comparingLong(s -> s.start)).toList();
    assertThat(sorted.get(0).start).isEqualTo(Long.MIN_VALUE);
    for (int i = 1; i < sorted.size(); i++) {
      assertThat(sorted.get(i).start).as("split %d starts where %d ends", i, i - 1).isEqualTo(sorted.get(i - 1).end);
    }
    assertThat(sorted.get(sorted.size() - 1).end).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aSingleTokenRingIsCutIntoTheWantedSplitsIncludingTheWrapAround() {
    List<TokenSplit> splits = TokenSplit.plan(List.of(1234L), 16);

    assertTilesTheRing(splits);
    // 16 pieces of the ring; the one crossing the end of the ring becomes two queries
    assertThat(splits).hasSize(17);
    assertThat(splits.stream().filter(s -> s.wrapAround)).hasSize(2);
    assertThat(splits.stream().mapToDouble(TokenSplit::ringFraction).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void vnodeRangesAreEachSplitInProportionToTheirSize() {
    // three owners: (-2^62, 0] is a quarter of the ring, (0, 2^62] a quarter, (2^62, -2^62] (wrapping) a half
    long q = 1L << 62;
    List<TokenSplit> splits = TokenSplit.plan(List.of(0L, q, -q), 8);

    assertTilesTheRing(splits);
    assertThat(splits.stream().filter(s -> s.start >= -q && s.end <= 0)).hasSize(2);
    assertThat(splits.stream().filter(s -> s.start >= 0 && s.end <= q)).hasSize(2);
    // the half-ring wrap-around range: 4 pieces; a cut falls exactly on the end of the ring, so none is cut again
    assertThat(splits.stream().filter(s -> s.start >= q || s.end <= -q)).hasSize(4);
    assertThat(splits).hasSize(8);
  }

  @Test
  void moreRingRangesThanWantedSplitsGivesOneSplitPerRange() {
    List<Long> tokens = new java.util.ArrayList<>();
    for (int i = 0; i < 256; i++) {
      tokens.add(BigInteger.valueOf(i).shiftLeft(56).longValue() + 17);
    }
    List<TokenSplit> splits = TokenSplit.plan(tokens, 16);

    assertTilesTheRing(splits);
    assertThat(splits).hasSize(256 + 1);
  }

  @Test
  void aRingTokenAtTheEndsOfTheRingMakesNoEmptySplit() {
    List<TokenSplit> splits = TokenSplit.plan(List.of(Long.MAX_VALUE, 0L), 4);

    assertTilesTheRing(splits);
    assertThat(splits).allMatch(s -> s.start < s.end);
  }

  @Test
  void anEmptyRingIsAnError() {
    assertThatThrownBy(() -> TokenSplit.plan(List.of(), 4)).hasMessageContaining("no tokens");
  }
}
