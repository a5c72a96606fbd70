package dev.astrabridge.bridge.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnsettledSendsTest {

  @Test
  void theOldestAreSettledInSendOrderOnceTwiceKeepAreUnsettledAndTheRestAtTheEnd() throws Exception {
    List<String> settled = new ArrayList<>();
    List<Integer> awaited = new ArrayList<>();
    UnsettledSends<Integer> sends = new UnsettledSends<>(3,
        send -> {
          awaited.add(send);
          return send % 4 == 0 ? new IllegalStateException("nack " + send) : null;
        },
        (send, error) -> settled.add(send + (error == null ? "" : " failed: " + error.getMessage())));
    for (int i = 1; i <= 5; i++) {
      sends.add(i);
    }
    assertThat(settled).as("fewer than 2 × 3 unsettled: nothing awaited yet").isEmpty();
    sends.add(6);
    assertThat(settled).as("6 unsettled: the oldest 3 settled, 3 kept").containsExactly("1", "2", "3");
    sends.add(7);
    sends.settleAll();
    assertThat(settled).containsExactly("1", "2", "3", "4 failed: nack 4", "5", "6", "7");
    assertThat(awaited).as("each send awaited once").containsExactly(1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void aSettlingFailureTheWriterRaisesReachesTheBundle() {
    UnsettledSends<Integer> sends = new UnsettledSends<>(1, send -> new IllegalStateException("lost"),
        (send, error) -> {
          throw new IllegalStateException("effectively-once send " + send + " failed", error);
        });
    assertThatThrownBy(() -> {
      sends.add(1);
      sends.add(2);
    }).hasMessage("effectively-once send 1 failed");
    assertThatThrownBy(() -> new UnsettledSends<Integer>(0, s -> null, (s, e) -> { }))
        .hasMessageContaining("keep: at least 1, got 0");
  }
}
