package dev.astrabridge.bridge.mirror;

import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * Per shard (messages of one ordering key share a shard): puts messages back into publish order and, for
 * effectively-once, gives each the shard's next Pulsar sequence id.
 *
 * <p><b>Order.</b> Beam's Pub/Sub source does not keep an ordered subscription's order (several readers pull one
 * subscription, and the runner deduplicates by message id across workers). Messages wait in state until the
 * watermark (from Pub/Sub publish times) passes their publish time, then leave sorted by publish time and message
 * id — Pub/Sub's own order per ordering key. Cost: the source's watermark lag (PubsubIO holds it at the oldest
 * publish time read in the last minute) plus {@link #GRANULARITY_MS}. A message without an ordering key has no order
 * to keep and leaves at once.
 *
 * <p><b>Sequence ids.</b> Kept in Beam state, so they are part of the runner's checkpoint: after a failure the runner
 * restores the counter with the source position, and the stable-input {@link SendOrder} step downstream replays
 * exactly the sequenced messages that may have been sent, in id order, which the broker drops by producer name and
 * sequence id. The first id of a shard started without state is flagged {@code shard_start}. A shard's first id
 * is the clock in ms × 1000, so a new job without the old state (no savepoint) still starts above the ids the old job
 * used as long as it sent fewer than 1,000 messages per ms per shard on average. Such a restart is NOT lossless:
 * the messages waiting here were acknowledged at the source when the checkpoint holding them completed.
 */
final class Sequencer extends DoFn<KV<Integer, BridgeMessage>, BridgeMessage> {
  private static final long serialVersionUID = 1L;
  /** Release granularity: at most this many ms of publish time per timer firing. */
  static final long GRANULARITY_MS = 100;

  private static final Comparator<BridgeMessage> PUBLISH_ORDER = Comparator
      .comparing((BridgeMessage m) -> m.getPublishTime() == null ? 0L : m.getPublishTime().toEpochMilli())
      .thenComparing(m -> String.valueOf(m.getMessageId()), Sequencer::compareIds);

  private final String shardPrefix;
  private final boolean assignSequence;

  @StateId("next")
  private final StateSpec<ValueState<Long>> nextSpec = StateSpecs.value(VarLongCoder.of());

  @StateId("waiting")
  private final StateSpec<BagState<BridgeMessage>> waitingSpec = StateSpecs.bag(AvroCoder.of(BridgeMessage.class));

  @StateId("due")
  private final StateSpec<ValueState<Long>> dueSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId("release")
  private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  Sequencer(String shardPrefix, boolean assignSequence) {
    this.shardPrefix = shardPrefix;
    this.assignSequence = assignSequence;
  }

  @ProcessElement
  public void process(@Element KV<Integer, BridgeMessage> element, @Timestamp Instant timestamp,
                      @StateId("waiting") BagState<BridgeMessage> waiting, @StateId("due") ValueState<Long> due,
                      @StateId("next") ValueState<Long> next, @TimerId("release") Timer release,
                      OutputReceiver<BridgeMessage> out) {
    BridgeMessage m = element.getValue();
    if (assignSequence) {
      m = BridgeMessage.newBuilder(m).setShard(shardPrefix + element.getKey()).build();
    }
    if (m.getKey() == null || m.getKey().length() == 0) {
      // no ordering key: Pub/Sub promises no order for it, so it need not wait for the watermark
      if (assignSequence) {
        Long stored = next.read();
        long sequence = stored != null ? stored : System.currentTimeMillis() * 1000;
        m.setSequenceId(sequence);
        m.setShardStart(stored == null);
        next.write(sequence + 1);
      }
      out.output(m);
      return;
    }
    waiting.add(m);
    long at = ceil(timestamp.getMillis());
    Long current = due.read();
    if (current == null || at < current) {
      due.write(at);
      release.set(new Instant(at));
    }
  }

  @OnTimer("release")
  public void onRelease(OnTimerContext context, @StateId("waiting") BagState<BridgeMessage> waiting,
                        @StateId("due") ValueState<Long> due, @StateId("next") ValueState<Long> next,
                        @TimerId("release") Timer release) {
    long upTo = context.timestamp().getMillis();
    List<BridgeMessage> ready = new ArrayList<>();
    List<BridgeMessage> later = new ArrayList<>();
    for (BridgeMessage m : waiting.read()) {
      (publishMillis(m) <= upTo ? ready : later).add(m);
    }
    ready.sort(PUBLISH_ORDER);
    long sequence = 0;
    boolean start = false;
    if (assignSequence) {
      Long stored = next.read();
      sequence = stored != null ? stored : System.currentTimeMillis() * 1000;
      start = stored == null;
    }
    for (BridgeMessage m : ready) {
      if (assignSequence) {
        m.setShardStart(start);
        start = false;
        m.setSequenceId(sequence++);
      }
      context.outputWithTimestamp(m, new Instant(Math.max(publishMillis(m), upTo)));
    }
    if (assignSequence && !ready.isEmpty()) {
      next.write(sequence);
    }
    waiting.clear();
    long nextDue = Long.MAX_VALUE;
    for (BridgeMessage m : later) {
      waiting.add(m);
      nextDue = Math.min(nextDue, ceil(publishMillis(m)));
    }
    if (later.isEmpty()) {
      due.clear();
    } else {
      due.write(nextDue);
      release.set(new Instant(nextDue));
    }
  }

  private static long publishMillis(BridgeMessage m) {
    return m.getPublishTime() == null ? 0L : m.getPublishTime().toEpochMilli();
  }

  private static long ceil(long millis) {
    return Math.floorDiv(millis + GRANULARITY_MS - 1, GRANULARITY_MS) * GRANULARITY_MS;
  }

  /** Numeric ids (the emulator's, Google's) by value, others as text. */
  static int compareIds(String a, String b) {
    if (!a.isEmpty() && !b.isEmpty() && a.chars().allMatch(Character::isDigit) && b.chars().allMatch(Character::isDigit)) {
      return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
    }
    return a.compareTo(b);
  }
}
