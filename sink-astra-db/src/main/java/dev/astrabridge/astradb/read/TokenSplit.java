package dev.astrabridge.astradb.read;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * One slice of the Murmur3 token ring, {@code (start, end]}, that one query reads: {@code token(pk) > start AND
 * token(pk) <= end}. Never wraps: {@link #plan} cuts a range that crosses the end of the ring in two, {@code (start,
 * MAX]} and {@code (MIN, end]} (Murmur3 never gives a key the token MIN, so nothing falls between).
 */
public final class TokenSplit implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final BigInteger RING = BigInteger.ONE.shiftLeft(64);

  public final long start;
  public final long end;
  /** True for the two pieces of the range that crosses the end of the ring. */
  public final boolean wrapAround;

  TokenSplit(long start, long end, boolean wrapAround) {
    if (start >= end) {
      throw new IllegalArgumentException("an empty or wrapping split (" + start + ", " + end + "]");
    }
    this.start = start;
    this.end = end;
    this.wrapAround = wrapAround;
  }

  /**
   * The splits covering the whole ring exactly once: every range between consecutive ring tokens (the owners'
   * boundaries, so a split never spans two replicas sets) cut evenly into pieces, as many as its share of the ring of
   * {@code minSplits} (at least one each).
   */
  public static List<TokenSplit> plan(List<Long> ringTokens, int minSplits) {
    if (ringTokens.isEmpty()) {
      throw new IllegalArgumentException("the token map has no tokens");
    }
    List<Long> tokens = new ArrayList<>(new TreeSet<>(ringTokens));
    List<TokenSplit> splits = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      long start = tokens.get(i == 0 ? tokens.size() - 1 : i - 1);
      long end = tokens.get(i);
      BigInteger size = unsigned(end - start);
      if (size.signum() == 0) {
        size = RING; // a single token owns the whole ring
      }
      int pieces = Math.max(1, BigInteger.valueOf(minSplits).multiply(size).add(RING).subtract(BigInteger.ONE)
          .divide(RING).intValueExact());
      long from = start;
      for (int p = 1; p <= pieces; p++) {
        long to = p == pieces ? end
            : start + size.multiply(BigInteger.valueOf(p)).divide(BigInteger.valueOf(pieces)).longValue();
        add(splits, from, to);
        from = to;
      }
    }
    return splits;
  }

  private static void add(List<TokenSplit> splits, long from, long to) {
    if (from < to) {
      splits.add(new TokenSplit(from, to, false));
    } else {
      if (from != Long.MAX_VALUE) {
        splits.add(new TokenSplit(from, Long.MAX_VALUE, true));
      }
      if (to != Long.MIN_VALUE) {
        splits.add(new TokenSplit(Long.MIN_VALUE, to, true));
      }
    }
  }

  private static BigInteger unsigned(long value) {
    BigInteger v = BigInteger.valueOf(value);
    return v.signum() < 0 ? v.add(RING) : v;
  }

  /** The share of the ring this split covers, 0..1 (progress reporting). */
  public double ringFraction() {
    return new java.math.BigDecimal(unsigned(end - start)).divide(new java.math.BigDecimal(RING),
        java.math.MathContext.DECIMAL64).doubleValue();
  }

  @Override
  public String toString() {
    return "(" + start + ", " + end + "]" + (wrapAround ? " (wrap-around)" : "");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenSplit && ((TokenSplit) o).start == start && ((TokenSplit) o).end == end;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(start) * 31 + Long.hashCode(end);
  }
}
