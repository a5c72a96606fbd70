package dev.astrabridge.bridge.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * The mirror's order step under TestStream: keyed messages leave in publish order when the watermark passes them, and
 * within maxWait of processing time when it does not (PubsubIO's watermark can stay at the beginning of time).
 */
public class SequencerTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final StageMeters METERS = StageMeters.of("sequencer-test", "mirror.test", "route", "test");
  static final Duration MAX_WAIT = Duration.standardSeconds(10);

  /** A keyed message of shard 1 published at {@code publishMillis}, with that event timestamp (as PubsubIO gives). */
  static TimestampedValue<KV<Integer, BridgeMessage>> published(String id, long publishMillis) {
    BridgeMessage m = BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(id.getBytes())).setKey("k")
        .setOrderingKey("k").setAttributes(Map.of()).setMessageId(id).setEventTime(null)
        .setPublishTime(java.time.Instant.ofEpochMilli(publishMillis)).setSource("test").build();
    return TimestampedValue.of(KV.of(1, m), new Instant(publishMillis));
  }

  static TestStream.Builder<KV<Integer, BridgeMessage>> stream() {
    return TestStream.create(KvCoder.of(VarIntCoder.of(), AvroCoder.of(BridgeMessage.class)));
  }

  /** Processing time advanced in 1 s steps, as a runner's clock would move (timers fire at each step). */
  static TestStream.Builder<KV<Integer, BridgeMessage>> wait(TestStream.Builder<KV<Integer, BridgeMessage>> s, int seconds) {
    for (int i = 0; i < seconds; i++) {
      s = s.advanceProcessingTime(Duration.standardSeconds(1));
    }
    return s;
  }

  static long counter(PipelineResult result, String name) {
    long total = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(METERS.namespace(), name)).build()).getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  /** The message ids in the order of the sequence ids the step gave them (its send order). */
  static List<String> sendOrder(Iterable<BridgeMessage> out) {
    return StreamSupport.stream(out.spliterator(), false).sorted(Comparator.comparing(BridgeMessage::getSequenceId))
        .map(BridgeMessage::getMessageId).collect(Collectors.toList());
  }

  @Test
  public void withAStuckWatermarkKeyedMessagesLeaveAfterMaxWaitInPublishOrder() {
    // the watermark never moves (a PubsubIO reader that got nothing); arrival order differs from publish order
    TestStream.Builder<KV<Integer, BridgeMessage>> s = stream()
        .addElements(published("a", 1_000));
    s = wait(s, 6);
    s = s.addElements(published("b", 500), published("c", 5_000)); // b older than a: must leave before it
    s = wait(s, 6);
    // a has waited 12 s (maxWait 10 s): it left with b; c (6 s) still waits; d arrives older than c
    s = s.addElements(published("d", 4_000));
    s = wait(s, 12);
    // c left with d, in publish order; e is older than everything that left: it is late, sent after them
    s = s.addElements(published("e", 100));
    s = wait(s, 14);
    PCollection<BridgeMessage> out = pipeline.apply(s.advanceWatermarkToInfinity())
        .apply(ParDo.of(new Sequencer("test-", true, MAX_WAIT, METERS)));
    PAssert.that(out).satisfies(messages -> {
      assertThat(sendOrder(messages)).containsExactly("b", "a", "d", "c", "e");
      return null;
    });
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertThat(counter(result, "order_overdue")).as("released by maxWait, the watermark never moved").isEqualTo(5);
    assertThat(counter(result, "order_late")).as("e arrived after newer messages of its shard left").isEqualTo(1);
  }

  @Test
  public void aMovingWatermarkReleasesBeforeMaxWait() {
    TestStream.Builder<KV<Integer, BridgeMessage>> s = stream()
        .addElements(published("y", 2_000), published("x", 1_000))
        .advanceWatermarkTo(new Instant(2_001)); // a timer fires once the watermark is past it
    s = wait(s, 1);
    // the watermark passed both: they left in publish order well before maxWait; z arrives after them, not late
    s = s.addElements(published("z", 3_000)).advanceWatermarkTo(new Instant(3_001));
    s = wait(s, 30);
    PCollection<BridgeMessage> out = pipeline.apply(s.advanceWatermarkToInfinity())
        .apply(ParDo.of(new Sequencer("test-", true, MAX_WAIT, METERS)));
    PAssert.that(out).satisfies(messages -> {
      assertThat(sendOrder(messages)).containsExactly("x", "y", "z");
      List<BridgeMessage> all = new ArrayList<>();
      messages.forEach(all::add);
      assertThat(all).filteredOn(BridgeMessage::getShardStart).hasSize(1);
      return null;
    });
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertThat(counter(result, "order_overdue")).as("the watermark released everything").isZero();
    assertThat(counter(result, "order_late")).isZero();
  }
}
