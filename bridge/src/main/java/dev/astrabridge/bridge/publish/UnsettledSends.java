package dev.astrabridge.bridge.publish;

import java.util.ArrayDeque;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The sends of one bundle that are not settled yet, oldest first, for an async writer (the Pulsar producer's, the
 * Pub/Sub publisher's): a bundle ends only when every send of it is settled, and a bundle can be a whole partition
 * (Flink batch). So once {@code 2 × keep} sends are unsettled, the oldest are awaited until {@code keep} remain —
 * holding every send until the bundle ended kept ~500k messages alive in a Flink batch write (young-GC pauses of
 * 0.1-0.36 s, measured) and memory grew with the partition. The writer sees each settled send once, in send order,
 * acknowledged (error null) or failed, and retries or dead-letters the failed ones when its bundle ends.
 *
 * @param <S> the writer's record of one send (message, future, attempts)
 */
public final class UnsettledSends<S> {
  /** Waits for a send; returns null when it was acknowledged, else why it failed. */
  public interface Outcome<S> {
    @Nullable Throwable await(S send) throws Exception;
  }

  /** What the writer does with a settled send. */
  public interface Settled<S> {
    void accept(S send, @Nullable Throwable error) throws Exception;
  }

  private final ArrayDeque<S> unsettled = new ArrayDeque<>();
  private final int keep;
  private final Outcome<S> outcome;
  private final Settled<S> settled;

  public UnsettledSends(int keep, Outcome<S> outcome, Settled<S> settled) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep: at least 1, got " + keep);
    }
    this.keep = keep;
    this.outcome = outcome;
    this.settled = settled;
  }

  /** Adds a send just made; settles the oldest when {@code 2 × keep} are unsettled. */
  public void add(S send) throws Exception {
    unsettled.add(send);
    if (unsettled.size() >= 2 * keep) {
      settle(keep);
    }
  }

  /** Settles every send (the bundle is ending). */
  public void settleAll() throws Exception {
    settle(0);
  }

  private void settle(int remain) throws Exception {
    while (unsettled.size() > remain) {
      S send = unsettled.poll();
      settled.accept(send, outcome.await(send));
    }
  }
}
