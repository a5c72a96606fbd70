package dev.astrabridge.bridge.mirror;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
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
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Per shard (messages of one ordering key share a shard): puts messages back into publish order and, for
 * effectively-once, gives each the shard's next Pulsar sequence id.
 *
 * <p><b>Order.</b> Beam's Pub/Sub source does not keep an ordered subscription's order (several readers pull one
 * subscription, and the runner deduplicates by message id across workers). Messages wait in state and leave sorted by
 * publish time and message id — Pub/Sub's own order per ordering key — when the first of two things happens:
 * <ul>
 *   <li>the watermark (from Pub/Sub publish times) passes their publish time (rounded up to {@link #GRANULARITY_MS});
 *   <li>a message has waited {@code maxWait} (runner processing time, checked {@link #TICKS} times per maxWait, so
 *       between 3/4 of it and all of it): it leaves with every waiting message published no later than it. Counted
 *       in {@code order_overdue}.
 * </ul>
 * The second bound exists because PubsubIO's watermark is not one to wait for alone: it trails the newest publish
 * time by up to a minute under steady traffic (the oldest publish time read in the last minute), and a reader that
 * never received a message — one of the 4 readers per worker on a quiet subscription, or every reader restored after
 * a failure once the backlog is gone — holds it at the beginning of time for good. Order is kept as long as
 * messages of one key reach this step less than 3/4 of maxWait apart; a message that arrives after a newer one of its
 * shard already left may leave out of order (counted in {@code order_late}). A message without an ordering key has
 * no order to keep and leaves at once.
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
  /**
   * The overdue timer ticks this many times per maxWait (in the runner's processing time, which a test stream
   * controls); a message is overdue at the tick that ends its {@code TICKS}-th tick period, having waited between
   * (TICKS - 1) / TICKS of maxWait and maxWait.
   */
  static final int TICKS = 4;

  private static final Comparator<BridgeMessage> PUBLISH_ORDER = Comparator
      .comparing((BridgeMessage m) -> m.getPublishTime() == null ? 0L : m.getPublishTime().toEpochMilli())
      .thenComparing(m -> String.valueOf(m.getMessageId()), Sequencer::compareIds);

  private final String shardPrefix;
  private final boolean assignSequence;
  private final long tickMillis;
  private final StageMeters.Count overdueCount;
  private final StageMeters.Count lateCount;

  @StateId("next")
  private final StateSpec<ValueState<Long>> nextSpec = StateSpecs.value(VarLongCoder.of());

  /** Waiting messages, each with the number of overdue ticks there were when it arrived. */
  @StateId("waiting")
  private final StateSpec<BagState<KV<Long, BridgeMessage>>> waitingSpec =
      StateSpecs.bag(KvCoder.of(VarLongCoder.of(), AvroCoder.of(BridgeMessage.class)));

  /** When the event-time timer is set for (ms of publish time). */
  @StateId("due")
  private final StateSpec<ValueState<Long>> dueSpec = StateSpecs.value(VarLongCoder.of());

  /** Ticks of the overdue timer so far (it ticks {@link #TICKS} times per maxWait while messages wait). */
  @StateId("ticks")
  private final StateSpec<ValueState<Long>> ticksSpec = StateSpecs.value(VarLongCoder.of());

  /** Whether the overdue timer is set. */
  @StateId("ticking")
  private final StateSpec<ValueState<Boolean>> tickingSpec = StateSpecs.value(BooleanCoder.of());

  /** The newest publish time (ms) this shard sent a keyed message with. */
  @StateId("sentUpTo")
  private final StateSpec<ValueState<Long>> sentUpToSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId("release")
  private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId("overdue")
  private final TimerSpec overdueSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  /**
   * @param maxWait how long a keyed message waits at most for the watermark (see the class comment)
   * @param meters where {@code order_overdue} and {@code order_late} are counted
   */
  Sequencer(String shardPrefix, boolean assignSequence, Duration maxWait, StageMeters meters) {
    this.shardPrefix = shardPrefix;
    this.assignSequence = assignSequence;
    this.tickMillis = Math.max(1, maxWait.getMillis() / TICKS);
    this.overdueCount = meters.counter("order_overdue");
    this.lateCount = meters.counter("order_late");
  }

  @ProcessElement
  public void process(@Element KV<Integer, BridgeMessage> element, @Timestamp Instant timestamp,
                      @StateId("waiting") BagState<KV<Long, BridgeMessage>> waiting, @StateId("due") ValueState<Long> due,
                      @StateId("next") ValueState<Long> next, @StateId("ticks") ValueState<Long> ticks,
                      @StateId("ticking") ValueState<Boolean> ticking, @StateId("sentUpTo") ValueState<Long> sentUpTo,
                      @TimerId("release") Timer release, @TimerId("overdue") Timer overdue,
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
    Long sent = sentUpTo.read();
    if (sent != null && publishMillis(m) < sent) {
      lateCount.inc(); // a newer message of this shard already left: this one may be out of order for its key
    }
    Long tick = ticks.read();
    waiting.add(KV.of(tick == null ? 0L : tick, m));
    long at = ceil(timestamp.getMillis());
    Long current = due.read();
    if (current == null || at < current) {
      due.write(at);
      release.set(new Instant(at));
    }
    if (ticking.read() == null) {
      ticking.write(true);
      overdue.offset(Duration.millis(tickMillis)).setRelative();
    }
  }

  /** The watermark passed a publish time: every message published up to it leaves, in publish order. */
  @OnTimer("release")
  public void onRelease(OnTimerContext context, @StateId("waiting") BagState<KV<Long, BridgeMessage>> waiting,
                        @StateId("due") ValueState<Long> due, @StateId("next") ValueState<Long> next,
                        @StateId("sentUpTo") ValueState<Long> sentUpTo, @TimerId("release") Timer release) {
    long upTo = context.timestamp().getMillis();
    List<KV<Long, BridgeMessage>> later = send(upTo, waiting, next, sentUpTo,
        (m, publish) -> context.outputWithTimestamp(m, new Instant(Math.max(publish, upTo))));
    if (later.isEmpty()) {
      due.clear();
      return;
    }
    long nextDue = Long.MAX_VALUE;
    for (KV<Long, BridgeMessage> waited : later) {
      nextDue = Math.min(nextDue, ceil(publishMillis(waited.getValue())));
    }
    due.write(nextDue);
    release.set(new Instant(nextDue));
  }

  /**
   * A tick of the overdue timer: the messages that have waited maxWait leave with every message published no later
   * than the newest of them, in publish order, whatever the watermark says.
   */
  @OnTimer("overdue")
  public void onOverdue(OnTimerContext context, @StateId("waiting") BagState<KV<Long, BridgeMessage>> waiting,
                        @StateId("next") ValueState<Long> next, @StateId("ticks") ValueState<Long> ticks,
                        @StateId("ticking") ValueState<Boolean> ticking, @StateId("sentUpTo") ValueState<Long> sentUpTo,
                        @TimerId("overdue") Timer overdue) {
    Long before = ticks.read();
    long tick = (before == null ? 0L : before) + 1;
    ticks.write(tick);
    long upTo = Long.MIN_VALUE;
    boolean any = false;
    for (KV<Long, BridgeMessage> waited : waiting.read()) {
      any = true;
      if (tick - waited.getKey() >= TICKS) {
        upTo = Math.max(upTo, publishMillis(waited.getValue()));
      }
    }
    if (upTo != Long.MIN_VALUE) {
      long floor = context.timestamp().getMillis(); // the timer's output timestamp: nothing may leave before it
      any = !send(upTo, waiting, next, sentUpTo, (m, publish) -> {
        overdueCount.inc();
        context.outputWithTimestamp(m, new Instant(Math.max(publish, floor)));
      }).isEmpty();
    }
    if (any) {
      overdue.offset(Duration.millis(tickMillis)).setRelative();
    } else {
      ticking.clear();
    }
  }

  /**
   * Sends, in publish order and with the shard's next sequence ids, the waiting messages published up to
   * {@code upTo}; keeps the others waiting and returns them.
   */
  private List<KV<Long, BridgeMessage>> send(long upTo, BagState<KV<Long, BridgeMessage>> waiting, ValueState<Long> next,
                                             ValueState<Long> sentUpTo, Emitter emit) {
    List<BridgeMessage> ready = new ArrayList<>();
    List<KV<Long, BridgeMessage>> later = new ArrayList<>();
    for (KV<Long, BridgeMessage> waited : waiting.read()) {
      if (publishMillis(waited.getValue()) <= upTo) {
        ready.add(waited.getValue());
      } else {
        later.add(waited);
      }
    }
    if (ready.isEmpty()) {
      return later;
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
      emit.emit(m, publishMillis(m));
    }
    if (assignSequence) {
      next.write(sequence);
    }
    Long sent = sentUpTo.read();
    long newest = publishMillis(ready.get(ready.size() - 1));
    if (sent == null || newest > sent) {
      sentUpTo.write(newest);
    }
    waiting.clear();
    later.forEach(waiting::add);
    return later;
  }

  /** Where {@link #send} puts a message: the timer's output with the message's timestamp. */
  private interface Emitter {
    void emit(BridgeMessage message, long publishMillis);
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
