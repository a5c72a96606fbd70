package dev.astrabridge.astradb.write;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AimdLimiterTest {
  @Test
  void overloadHalvesOncePerBurstAndSuccessesGrowItBackToTheCeiling() throws Exception {
    AimdLimiter limiter = new AimdLimiter(64);
    limiter.onOverload();
    limiter.onOverload(); // same burst: counted once
    assertThat(limiter.limit()).isEqualTo(32);
    for (int i = 0; i < 10_000; i++) {
      limiter.onSuccess();
    }
    assertThat(limiter.limit()).isEqualTo(64);
  }

  @Test
  void acquireBlocksWhenTheWindowIsFull() throws Exception {
    AimdLimiter limiter = new AimdLimiter(1);
    limiter.acquire();
    Thread waiter = new Thread(() -> {
      try {
        limiter.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    waiter.join(300);
    assertThat(waiter.isAlive()).as("second acquire waits").isTrue();
    limiter.release();
    waiter.join(5000);
    assertThat(waiter.isAlive()).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(1);
  }

  @Test
  void backoffGrowsAndIsCapped() {
    assertThat(WriteFn.backoffMillis(1)).isBetween(50L, 100L);
    assertThat(WriteFn.backoffMillis(4)).isBetween(400L, 800L);
    assertThat(WriteFn.backoffMillis(30)).isBetween(2500L, 5000L);
  }
}
