package dev.astrabridge.astradb.write;

/**
 * Bounded, adaptive concurrency of in-flight writes (additive increase, multiplicative decrease): each success raises
 * the limit by 1/limit (about +1 per round trip of the whole window), each overload signal halves it (at most once
 * per {@value #DECREASE_COOLDOWN_MS} ms, so one burst of rejections counts once). {@link #acquire()} blocks the
 * caller while the window is full, which is the back-pressure on the pipeline.
 */
final class AimdLimiter {
  static final long DECREASE_COOLDOWN_MS = 200;

  private final int max;
  private double limit;
  private int inFlight;
  private long lastDecrease;

  AimdLimiter(int max) {
    this.max = max;
    this.limit = max;
  }

  synchronized void acquire() throws InterruptedException {
    while (inFlight >= (int) limit) {
      wait();
    }
    inFlight++;
  }

  synchronized void release() {
    inFlight--;
    notifyAll();
  }

  synchronized void onSuccess() {
    if (limit < max) {
      limit = Math.min(max, limit + 1.0 / limit);
    }
  }

  synchronized void onOverload() {
    long now = System.currentTimeMillis();
    if (now - lastDecrease >= DECREASE_COOLDOWN_MS) {
      limit = Math.max(1, limit / 2);
      lastDecrease = now;
    }
  }

  synchronized int limit() {
    return (int) limit;
  }

  synchronized int inFlight() {
    return inFlight;
  }
}
