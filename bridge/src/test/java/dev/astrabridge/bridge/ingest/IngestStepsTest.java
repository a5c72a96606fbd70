package dev.astrabridge.bridge.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.bridge.options.Settings;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/** The stateful ingest steps under TestStream (watermarks and late data), without any server. */
public class IngestStepsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static BridgeMessage message(String id) {
    return BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(id.getBytes())).setKey(null).setOrderingKey(null)
        .setAttributes(Map.of()).setMessageId(id).setEventTime(null).setPublishTime(null).setSource("test").build();
  }

  static final Instant T0 = new Instant(0);
  static final StageMeters METERS = StageMeters.of("ingest-test", "ingest.test", "source", "test");

  /** The committed value of a Beam counter of {@link #METERS} after the run. */
  static long counter(PipelineResult result, String name) {
    MetricQueryResults q = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(METERS.namespace(), name)).build());
    long total = 0;
    for (MetricResult<Long> c : q.getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }
  /** Static: an anonymous tag created in a test method would capture the (non-serializable) test instance. */
  static final TupleTag<DeadLetter> LATE = new TupleTag<DeadLetter>("late") {};

  static TimestampedValue<KV<Integer, KV<String, BridgeMessage>>> keyed(String id, String messageId, Instant at) {
    return TimestampedValue.of(KV.of(DedupFn.shardOf(id), KV.of(id, message(messageId))), at);
  }

  @Test
  public void duplicatesOfAnIdArePassedOnceAndForgottenAfterTheDedupDuration() {
    TestStream<KV<Integer, KV<String, BridgeMessage>>> stream = TestStream.create(KvCoder.of(VarIntCoder.of(),
            KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(BridgeMessage.class))))
        .addElements(keyed("a", "a1", T0), keyed("a", "a2", T0), keyed("b", "b1", T0))
        .advanceWatermarkTo(T0.plus(Duration.standardSeconds(30)))
        .addElements(keyed("a", "a3", T0.plus(Duration.standardSeconds(31))))
        // 10 minutes of dedup: sweeps every 2.5 min; ids are forgotten after 10 to 12.5 min
        .advanceProcessingTime(Duration.standardMinutes(3))
        .advanceProcessingTime(Duration.standardMinutes(3))
        .advanceProcessingTime(Duration.standardMinutes(3))
        .addElements(keyed("a", "a4", T0.plus(Duration.standardSeconds(40)))) // 9 min: still remembered
        .advanceProcessingTime(Duration.standardMinutes(3))
        .advanceProcessingTime(Duration.standardMinutes(3))
        .advanceProcessingTime(Duration.standardMinutes(3))
        .addElements(keyed("a", "a5", T0.plus(Duration.standardSeconds(50)))) // 18 min: forgotten, passes again
        .advanceWatermarkToInfinity();
    PCollection<String> ids = pipeline.apply(stream).apply(ParDo.of(new DedupFn(Duration.standardMinutes(10), METERS)))
        .apply(MapElements.into(TypeDescriptors.strings()).via(BridgeMessage::getMessageId));
    PAssert.that(ids).containsInAnyOrder("a1", "b1", "a5");
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertThat(counter(result, "duplicates")).isEqualTo(3);
  }

  /**
   * The dedup steps as the ingest job composes them for fixed windows (the window in the id, DedupFn in the global
   * window) pass an id once per window and hold no watermark. Held, every event-time window after them (the rollups)
   * stayed open until the ids' state expired: the window's expiry (end + allowed lateness) in a windowed stateful
   * step, the dedup duration with Beam's default output timestamp for the sweep timer. Seen here as: an event arriving
   * behind the watermark is late downstream (dropped by a window without lateness) only if the watermark went on.
   */
  @Test
  public void theDedupStepsPassAnIdOncePerWindowAndDoNotHoldTheWatermarkOfTheStepsAfterThem() {
    TestStream<KV<String, BridgeMessage>> stream = TestStream.create(KvCoder.of(StringUtf8Coder.of(),
            AvroCoder.of(BridgeMessage.class)))
        .addElements(TimestampedValue.of(KV.of("a", message("a1")), T0.plus(Duration.standardSeconds(1))),
            TimestampedValue.of(KV.of("a", message("a2")), T0.plus(Duration.standardSeconds(3))),
            TimestampedValue.of(KV.of("a", message("a3")), T0.plus(Duration.standardSeconds(7))))
        .advanceWatermarkTo(T0.plus(Duration.standardSeconds(20)))
        .addElements(TimestampedValue.of(KV.of("b", message("b1")), T0.plus(Duration.standardSeconds(2))))
        .advanceWatermarkToInfinity();
    PCollection<Long> counts = pipeline.apply(stream)
        .apply("Dedup scope", ParDo.of(new DedupKeys.InFixedWindow(Duration.standardSeconds(5))))
        .apply("Dedup shard", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(),
                TypeDescriptors.kvs(TypeDescriptors.strings(), org.apache.beam.sdk.values.TypeDescriptor.of(BridgeMessage.class))))
            .via((KV<String, BridgeMessage> kv) -> KV.of(DedupFn.shardOf(kv.getKey()), kv)))
        .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(BridgeMessage.class))))
        .apply("Deduplicate", ParDo.of(new DedupFn(Duration.standardMinutes(10), METERS)))
        .apply("Rollup windows", org.apache.beam.sdk.transforms.windowing.Window.<BridgeMessage>into(
            org.apache.beam.sdk.transforms.windowing.FixedWindows.of(Duration.standardSeconds(5)))
            .withAllowedLateness(Duration.ZERO))
        .apply(org.apache.beam.sdk.transforms.Combine.globally(org.apache.beam.sdk.transforms.Count.<BridgeMessage>combineFn())
            .withoutDefaults());
    PAssert.that(counts).containsInAnyOrder(1L, 1L); // a1 in [0, 5), a3 in [5, 10); a2 a duplicate, b1 late
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void eventsBehindTheWatermarkByMoreThanWindowAndLatenessAreDeadLettered() {
    // fixed 1-minute windows, 1 minute of allowed lateness: an event at 0 expires at 2 min
    LateDataFilter.Windows windows = new LateDataFilter.Windows(Settings.WindowType.FIXED, Duration.standardMinutes(1),
        Duration.standardMinutes(1), Duration.standardMinutes(1));
    TupleTag<DeadLetter> lateTag = LATE;
    TestStream<KV<Integer, BridgeMessage>> stream = TestStream.create(KvCoder.of(VarIntCoder.of(), AvroCoder.of(BridgeMessage.class)))
        .addElements(TimestampedValue.of(KV.of(1, message("early-on-time")), T0))
        .advanceWatermarkTo(T0.plus(Duration.standardSeconds(90)))
        // behind the watermark, but within its window + lateness (expires at 2 min): still on time
        .addElements(TimestampedValue.of(KV.of(1, message("late-but-allowed")), T0.plus(Duration.standardSeconds(10))))
        .addElements(TimestampedValue.of(KV.of(1, message("probe")), T0.plus(Duration.standardMinutes(9))))
        .advanceWatermarkTo(T0.plus(Duration.standardMinutes(10)))
        // now the watermark is known to be past 9 min: an event of minute 0 is too late
        .addElements(TimestampedValue.of(KV.of(1, message("too-late")), T0.plus(Duration.standardSeconds(5))))
        .addElements(TimestampedValue.of(KV.of(1, message("on-time")), T0.plus(Duration.standardSeconds(570))))
        .advanceWatermarkToInfinity();
    PCollectionTuple out = pipeline.apply(stream).apply(ParDo.of(new LateDataFilter(windows, lateTag, METERS))
        .withOutputTags(LateDataFilter.mainTag(), TupleTagList.of(lateTag)));
    PCollection<String> onTime = out.get(LateDataFilter.mainTag()).setCoder(AvroCoder.of(BridgeMessage.class))
        .apply("on time ids", MapElements.into(TypeDescriptors.strings()).via(BridgeMessage::getMessageId));
    PCollection<String> late = out.get(lateTag).setCoder(AvroCoder.of(DeadLetter.class))
        .apply("late ids", MapElements.into(TypeDescriptors.strings()).via(d -> d.getStage() + ":" + d.getMessage().getMessageId()));
    PAssert.that(onTime).containsInAnyOrder("early-on-time", "late-but-allowed", "probe", "on-time");
    PAssert.that(late).containsInAnyOrder("late:too-late");
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertThat(counter(result, "late")).isEqualTo(1);
  }

  @Test
  public void windowsKnowWhenAnEventsLastWindowExpires() {
    Duration lateness = Duration.standardMinutes(1);
    LateDataFilter.Windows fixed = new LateDataFilter.Windows(Settings.WindowType.FIXED, Duration.standardMinutes(1), null, lateness);
    LateDataFilter.Windows sliding = new LateDataFilter.Windows(Settings.WindowType.SLIDING, Duration.standardMinutes(5),
        Duration.standardMinutes(1), lateness);
    Instant t = T0.plus(Duration.standardSeconds(90));
    assertThat(fixed.lastEnd(t)).isEqualTo(T0.plus(Duration.standardMinutes(2)));
    assertThat(fixed.lastExpiry(t)).isEqualTo(T0.plus(Duration.standardMinutes(3)));
    assertThat(sliding.lastEnd(t)).isEqualTo(T0.plus(Duration.standardMinutes(6)));
  }

  static BridgeMessage orderMessage(long version) {
    dev.astrabridge.schemas.events.OrderEvent order = IngestTestSupport.order(java.util.UUID.randomUUID(), version,
        dev.astrabridge.schemas.events.OrderStatus.PAID, java.time.Instant.EPOCH); // amount = 20.00 + version
    BridgeMessage m = message("o" + version);
    m.setPayload(ByteBuffer.wrap(IngestTestSupport.bytes(order)));
    return m;
  }

  @Test
  public void rollupPanesAccumulateEarlyOnTimeAndLate() {
    TestStream<BridgeMessage> stream = TestStream.create(AvroCoder.of(BridgeMessage.class))
        .addElements(TimestampedValue.of(orderMessage(-10), T0.plus(Duration.standardSeconds(10))),   // 10.00
            TimestampedValue.of(orderMessage(0), T0.plus(Duration.standardSeconds(20))))                // 20.00
        .advanceProcessingTime(Duration.standardSeconds(20))                                          // early pane
        .addElements(TimestampedValue.of(orderMessage(-15), T0.plus(Duration.standardSeconds(30))))   // 5.00
        .advanceWatermarkTo(T0.plus(Duration.standardMinutes(1)))                                     // on-time pane
        .addElements(TimestampedValue.of(orderMessage(-19), T0.plus(Duration.standardSeconds(40))))   // 1.00, late
        .advanceWatermarkToInfinity();
    PCollection<String> panes = Rollups.aggregate(pipeline.apply(stream),
            org.apache.beam.sdk.transforms.windowing.FixedWindows.of(Duration.standardMinutes(1)),
            Duration.standardSeconds(10), Duration.standardMinutes(5),
            dev.astrabridge.astradb.decode.PayloadFormat.avroSingleObject(dev.astrabridge.schemas.events.OrderEvent.getClassSchema()),
            java.util.List.of("status"), java.util.List.of("amount"))
        .apply(MapElements.into(TypeDescriptors.strings())
            .via(kv -> kv.getKey().get(0) + " count=" + (long) kv.getValue()[0] + " sum=" + kv.getValue()[1]
                + " min=" + kv.getValue()[2] + " max=" + kv.getValue()[3]));
    org.apache.beam.sdk.transforms.windowing.IntervalWindow first =
        new org.apache.beam.sdk.transforms.windowing.IntervalWindow(T0, Duration.standardMinutes(1));
    PAssert.that(panes).inEarlyPane(first).containsInAnyOrder("PAID count=2 sum=30.0 min=10.0 max=20.0");
    PAssert.that(panes).inOnTimePane(first).containsInAnyOrder("PAID count=3 sum=35.0 min=5.0 max=20.0");
    PAssert.that(panes).inLatePane(first).containsInAnyOrder("PAID count=4 sum=36.0 min=1.0 max=20.0");
    pipeline.run();
  }

  @Test
  public void rollupAggregatesCountSumMinMaxIgnoringMissingValues() {
    Rollups.Aggregate aggregate = new Rollups.Aggregate(1);
    double[] a = aggregate.addInput(aggregate.createAccumulator(), new double[] {2.5});
    a = aggregate.addInput(a, new double[] {Double.NaN});
    double[] b = aggregate.addInput(aggregate.createAccumulator(), new double[] {7.5});
    double[] merged = aggregate.extractOutput(aggregate.mergeAccumulators(java.util.List.of(a, b)));
    assertThat(merged).containsExactly(3, 10.0, 2.5, 7.5);
  }
}
