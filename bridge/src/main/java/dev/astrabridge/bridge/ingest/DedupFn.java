package dev.astrabridge.bridge.ingest;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.MapState;
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
 * Passes the first message of each id in each window and counts the others as duplicates.
 *
 * <p>The input is keyed by a shard of the id ({@link #shardOf}, {@link #SHARDS} shards); each shard keeps the ids it
 * saw in one map (id → the sweep generation it arrived in) and one processing-time timer that sweeps out ids older
 * than {@code duration} every {@code duration / 4}. So an id is remembered for between {@code duration} and
 * {@code 1.25 × duration}. The step runs in the global window (a window scope is part of the id, see
 * {@link DedupKeys.InFixedWindow}) and its timer holds no watermark: in event-time windows, or with Beam's default
 * output timestamp for a processing-time timer, every window after this step would close only once the ids' state
 * expired. One map entry
 * per id and one timer per shard, instead of a value and a timer per id: measured on the embedded Flink runner's
 * heap state, the per-id layout took about 780 bytes of heap per remembered id.
 */
public final class DedupFn extends DoFn<KV<Integer, KV<String, BridgeMessage>>, BridgeMessage> {
  /** Shards of the id space: bounds the number of sweep timers, spreads ids over workers. */
  public static final int SHARDS = 1024;
  /** Sweeps per {@code duration}. */
  static final int SWEEPS = 4;

  private final Duration sweepInterval;
  private final StageMeters.Count duplicates;

  @StateId("seen")
  private final StateSpec<MapState<String, Integer>> seenSpec = StateSpecs.map(StringUtf8Coder.of(), VarIntCoder.of());

  @StateId("generation")
  private final StateSpec<ValueState<Integer>> generationSpec = StateSpecs.value(VarIntCoder.of());

  @StateId("sweeping")
  private final StateSpec<ValueState<Boolean>> sweepingSpec = StateSpecs.value(BooleanCoder.of());

  @TimerId("sweep")
  private final TimerSpec sweepSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  public DedupFn(Duration duration, StageMeters meters) {
    this.sweepInterval = Duration.millis(Math.max(1, duration.getMillis() / SWEEPS));
    this.duplicates = meters.counter("duplicates");
  }

  /** The shard of an id (the key the input must carry). */
  public static int shardOf(String id) {
    return Math.floorMod(id.hashCode(), SHARDS);
  }

  @ProcessElement
  public void process(@Element KV<Integer, KV<String, BridgeMessage>> element,
                      @StateId("seen") MapState<String, Integer> seen,
                      @StateId("generation") ValueState<Integer> generation,
                      @StateId("sweeping") ValueState<Boolean> sweeping,
                      @TimerId("sweep") Timer sweep, OutputReceiver<BridgeMessage> out) {
    String id = element.getValue().getKey();
    if (seen.get(id).read() != null) {
      duplicates.inc();
      return;
    }
    Integer current = generation.read();
    seen.put(id, current == null ? 0 : current);
    if (!Boolean.TRUE.equals(sweeping.read())) {
      sweep.withNoOutputTimestamp().offset(sweepInterval).setRelative();
      sweeping.write(true);
    }
    out.output(element.getValue().getValue());
  }

  /** Forgets the ids of the generation that is now {@link #SWEEPS} + 1 sweeps old. */
  @OnTimer("sweep")
  public void sweep(@StateId("seen") MapState<String, Integer> seen,
                    @StateId("generation") ValueState<Integer> generation,
                    @StateId("sweeping") ValueState<Boolean> sweeping, @TimerId("sweep") Timer sweep) {
    Integer current = generation.read();
    int next = (current == null ? 0 : current) + 1;
    int oldestKept = next - SWEEPS;
    List<String> expired = new ArrayList<>();
    boolean anyLeft = false;
    for (Map.Entry<String, Integer> e : seen.entries().read()) {
      if (e.getValue() < oldestKept) {
        expired.add(e.getKey());
      } else {
        anyLeft = true;
      }
    }
    expired.forEach(seen::remove);
    if (anyLeft) {
      generation.write(next);
      sweep.withNoOutputTimestamp().offset(sweepInterval).setRelative();
    } else {
      generation.clear();
      sweeping.clear();
    }
  }
}
