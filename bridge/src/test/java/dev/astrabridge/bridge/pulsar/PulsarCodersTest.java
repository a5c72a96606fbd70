package dev.astrabridge.bridge.pulsar;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/** The IO's coders: deterministic, compact, lossless. */
class PulsarCodersTest {
  static PulsarMessage message(Map<String, String> properties) {
    return new PulsarMessage("persistent://t/ns/orders-partition-2", 2, new byte[] {8, 1, 16, 2}, 12, 345, 3, "key",
        new byte[] {7}, properties, 1_790_000_000_000L, 1_790_000_000_500L, "producer-1", 99, 1, new byte[] {1, 2, 3});
  }

  @Test
  void messagesRoundTripAndEncodeIndependentlyOfPropertyOrder() throws Exception {
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");
    PulsarMessageCoder coder = PulsarMessageCoder.of();
    byte[] first = CoderUtils.encodeToByteArray(coder, message(ab));
    assertThat(CoderUtils.decodeFromByteArray(coder, first)).isEqualTo(message(ab));
    assertThat(CoderUtils.encodeToByteArray(coder, message(ba))).isEqualTo(first);
    coder.verifyDeterministic();
    PulsarMessage bare = new PulsarMessage("t", -1, new byte[0], 1, 2, -1, null, null, Map.of(), 0, 1, null, 0, 0, new byte[0]);
    assertThat(CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, bare))).isEqualTo(bare);
    assertThat(message(ab).messageIdString()).isEqualTo("12:345:2:3");
  }

  @Test
  void checkpointMarksRoundTripPerTopic() throws Exception {
    PulsarCheckpointMark mark = new PulsarCheckpointMark(true, Map.of("persistent://t/ns/a-partition-0",
        List.of(new byte[] {1, 2})), null, null);
    PulsarCheckpointMark.Coder coder = new PulsarCheckpointMark.Coder();
    PulsarCheckpointMark decoded = CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, mark));
    assertThat(decoded.cumulative()).isTrue();
    assertThat(decoded.idsByTopic()).containsOnlyKeys("persistent://t/ns/a-partition-0");
    assertThat(decoded.idsByTopic().get("persistent://t/ns/a-partition-0").get(0)).containsExactly(1, 2);
    decoded.finalizeCheckpoint(); // restored: nothing to acknowledge here, and no failure
  }

  @Test
  void positionsPackIntoIncreasingSequenceIds() {
    assertThat(PulsarPositions.pack(5, 10, -1)).isLessThan(PulsarPositions.pack(5, 10, 0) + 1);
    assertThat(PulsarPositions.pack(5, 10, 3)).isLessThan(PulsarPositions.pack(5, 11, 0));
    assertThat(PulsarPositions.pack(5, (1 << 20) - 1, 4095)).isLessThan(PulsarPositions.pack(6, 0, 0));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PulsarPositions.pack(1L << 31, 0, 0))
        .hasMessageContaining("cannot be packed");
  }
}
