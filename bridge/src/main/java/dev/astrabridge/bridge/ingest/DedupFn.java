package dev.astrabridge.bridge.ingest;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;

/**
 * Passes the first message of each id in each window and counts the others as duplicates. The state of an id lives
 * until its window expires (window end + allowed lateness) or for {@code duration} of processing time, whichever
 * comes first, so state stays bounded on any windowing.
 */
public final class DedupFn extends DoFn<KV<String, BridgeMessage>, BridgeMessage> {
  private final Duration duration;
  private final StageMeters.Count duplicates;

  @StateId("seen")
  private final StateSpec<ValueState<Boolean>> seenSpec = StateSpecs.value(BooleanCoder.of());

  @TimerId("forget")
  private final TimerSpec forgetSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  public DedupFn(Duration duration, StageMeters meters) {
    this.duration = duration;
    this.duplicates = meters.counter("duplicates");
  }

  @ProcessElement
  public void process(@Element KV<String, BridgeMessage> element, @StateId("seen") ValueState<Boolean> seen,
                      @TimerId("forget") Timer forget, OutputReceiver<BridgeMessage> out) {
    if (Boolean.TRUE.equals(seen.read())) {
      duplicates.inc();
      return;
    }
    seen.write(true);
    forget.offset(duration).setRelative();
    out.output(element.getValue());
  }

  @OnTimer("forget")
  public void forget(@StateId("seen") ValueState<Boolean> seen) {
    seen.clear();
  }
}
