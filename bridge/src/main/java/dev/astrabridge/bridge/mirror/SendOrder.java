package dev.astrabridge.bridge.mirror;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * Per shard: passes messages to the Pulsar writer strictly in sequence-id order, holding any that arrive ahead of a
 * missing lower id.
 *
 * <p>Why: the broker deduplicates by "sequence id at most the highest seen", so a lower id sent after a higher one
 * is dropped as a duplicate even if it was never stored. The runner does not keep the sequencer's order on the way
 * to the writer after a restore: measured on Flink, the restored job sent a shard's new ids 269-271 before the
 * restored 159-268 (two restored stable-input buffers and the new one flushed in another order), and the broker
 * dropped 110 never-stored messages per shard.
 *
 * <p>How: the {@link Sequencer} numbers each shard's messages consecutively and flags the first id of a shard it
 * starts from scratch ({@code shard_start}); this step remembers the last id it passed on and releases the next one
 * only. Its input is stable (the runner checkpoints it before processing), so after a failure it replays the same
 * messages into the same state and emits the same order again; the writer after it then needs no stable input of its
 * own. Copies of ids already passed on go through (the broker drops them). Not update-compatible with a job built
 * before this step existed: it would wait for a shard start that never comes (counted in {@code send_waiting}).
 */
final class SendOrder extends DoFn<KV<String, BridgeMessage>, BridgeMessage> {
  private static final long serialVersionUID = 1L;

  @StateId("last")
  private final StateSpec<ValueState<Long>> lastSpec = StateSpecs.value(VarLongCoder.of());

  @StateId("held")
  private final StateSpec<MapState<Long, BridgeMessage>> heldSpec =
      StateSpecs.map(VarLongCoder.of(), AvroCoder.of(BridgeMessage.class));

  private final StageMeters.Count waiting;
  private final StageMeters.Count released;

  SendOrder(StageMeters meters) {
    this.waiting = meters.counter("send_waiting");
    this.released = meters.counter("send_released_after_wait");
  }

  @ProcessElement
  @RequiresStableInput
  public void process(@Element KV<String, BridgeMessage> element, @StateId("last") ValueState<Long> lastState,
                      @StateId("held") MapState<Long, BridgeMessage> held, OutputReceiver<BridgeMessage> out) {
    BridgeMessage m = element.getValue();
    long sequence = m.getSequenceId();
    Long last = lastState.read();
    if (last != null && sequence <= last) {
      out.output(m); // a copy of one already passed on: the broker drops it
      return;
    }
    boolean next = last == null ? m.getShardStart() : sequence == last + 1;
    if (!next) {
      held.put(sequence, m);
      waiting.inc();
      return;
    }
    out.output(m);
    last = sequence;
    for (BridgeMessage following = held.get(last + 1).read(); following != null;
         following = held.get(last + 1).read()) {
      held.remove(last + 1);
      out.output(following);
      released.inc();
      last++;
    }
    lastState.write(last);
  }
}
