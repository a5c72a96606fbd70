package dev.astrabridge.bridge.ingest;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.envelope.DeadLetters;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Sends events that arrive after their window has expired (window end + allowed lateness behind the watermark) to
 * the dead-letter output with stage "late" — Beam itself would drop them silently at the first stateful step.
 *
 * <p>A DoFn cannot read the watermark, so each shard (the input is keyed by a hash of the message id) keeps an
 * event-time timer at the timestamp of an event it passed; when the timer fires the watermark is known to be past
 * that time. An event is late when its latest window expired before that observed watermark. The observation lags
 * the true watermark by at most one event's wait, so an event barely past the lateness may still pass here.
 */
public final class LateDataFilter extends DoFn<KV<Integer, BridgeMessage>, BridgeMessage> {
  private final Windows windows;
  private final TupleTag<DeadLetter> lateTag;
  private final StageMeters.Count late;

  @StateId("watermark")
  private final StateSpec<ValueState<Instant>> watermarkSpec = StateSpecs.value(InstantCoder.of());

  @StateId("probe")
  private final StateSpec<ValueState<Instant>> probeSpec = StateSpecs.value(InstantCoder.of());

  @TimerId("probe")
  private final TimerSpec probeTimer = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  public LateDataFilter(Windows windows, TupleTag<DeadLetter> lateTag, StageMeters meters) {
    this.windows = windows;
    this.late = meters.counter("late");
    this.lateTag = lateTag;
  }

  @ProcessElement
  public void process(@Element KV<Integer, BridgeMessage> element, @Timestamp Instant timestamp,
                      @StateId("watermark") ValueState<Instant> watermark, @StateId("probe") ValueState<Instant> probe,
                      @TimerId("probe") Timer timer, MultiOutputReceiver out) {
    Instant observed = watermark.read();
    Instant expiry = windows.lastExpiry(timestamp);
    if (observed != null && !expiry.isAfter(observed)) {
      late.inc();
      out.get(lateTag).output(DeadLetters.of(element.getValue(), DeadLetters.LATE, "event time " + timestamp
          + " is behind the watermark (" + observed + ") by more than its window and the allowed lateness"
          + " (window ends " + windows.lastEnd(timestamp) + ", expired " + expiry + ")"));
      return;
    }
    out.get(mainTag()).output(element.getValue());
    if (probe.read() == null) {
      timer.set(timestamp);
      probe.write(timestamp);
    }
  }

  @OnTimer("probe")
  public void onProbe(OnTimerContext context, @StateId("watermark") ValueState<Instant> watermark,
                      @StateId("probe") ValueState<Instant> probe) {
    Instant fired = context.fireTimestamp();
    Instant observed = watermark.read();
    if (observed == null || fired.isAfter(observed)) {
      watermark.write(fired);
    }
    probe.clear();
  }

  /** The main output's tag. */
  public static TupleTag<BridgeMessage> mainTag() {
    return MAIN;
  }

  private static final TupleTag<BridgeMessage> MAIN = new TupleTag<BridgeMessage>("on-time") {};

  /** The windowing the events belong to: when does an event's last window end, and when does it expire. */
  public static final class Windows implements java.io.Serializable {
    private final dev.astrabridge.bridge.options.Settings.WindowType type;
    private final Duration size;
    private final Duration period;
    private final Duration allowedLateness;

    public Windows(dev.astrabridge.bridge.options.Settings.WindowType type, Duration size, Duration period,
                   Duration allowedLateness) {
      this.type = type;
      this.size = size;
      this.period = period;
      this.allowedLateness = allowedLateness;
    }

    /** End of the last window containing {@code t}. */
    Instant lastEnd(Instant t) {
      long ms = t.getMillis();
      switch (type) {
        case FIXED:
          return new Instant(Math.floorDiv(ms, size.getMillis()) * size.getMillis() + size.getMillis());
        case SLIDING:
          return new Instant(Math.floorDiv(ms, period.getMillis()) * period.getMillis() + size.getMillis());
        case SESSION:
          return t.plus(size);
        default:
          return t;
      }
    }

    /** When the last window containing {@code t} is garbage-collected: the event is late once the watermark is there. */
    Instant lastExpiry(Instant t) {
      return lastEnd(t).plus(allowedLateness);
    }
  }
}
