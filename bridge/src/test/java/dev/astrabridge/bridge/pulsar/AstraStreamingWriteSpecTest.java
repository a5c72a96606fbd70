package dev.astrabridge.bridge.pulsar;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The write's settings fail where they are set, not later on a worker. */
class AstraStreamingWriteSpecTest {

  @Test
  void aMaxPendingMessagesBelowOneFailsWhereItIsSet() {
    // it bounds the producer's sends in flight and what a bundle keeps unsettled: 0 would fail each bundle's start
    assertThatThrownBy(() -> AstraStreamingIO.write().withMaxPendingMessages(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("withMaxPendingMessages: at least 1, got 0");
  }
}
