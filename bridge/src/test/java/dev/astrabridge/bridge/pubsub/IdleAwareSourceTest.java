package dev.astrabridge.bridge.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The watermark rule of {@link IdleAwareSource}, against a scripted reader (a stand-in for Beam's Pub/Sub reader,
 * whose idle behaviour needs minutes of a real subscription: MirrorIT and MirrorRestartIT check that end to end), with
 * a clock the test moves.
 */
class IdleAwareSourceTest {
  static final long T0 = 1_800_000_000_000L;
  final AtomicLong clock = new AtomicLong(T0);

  @Test
  void aReaderThatNeverReceivedFollowsTheClockOnceIdleForTheTimeoutFromItsFirstEmptyPull() throws Exception {
    ScriptedReader beams = new ScriptedReader(); // Beam's reader before a first message: the beginning of time
    IdleAwareSource<byte[], UnboundedSource.CheckpointMark>.Reader reader = reader(beams, Duration.standardSeconds(10));

    assertThat(reader.getWatermark()).as("before any pull").isEqualTo(BoundedWindow.TIMESTAMP_MIN_VALUE);
    clock.addAndGet(60_000); // a slow start is not idleness: the timeout counts from the first (empty) pull
    assertThat(reader.start()).isFalse();
    clock.addAndGet(9_999);
    assertThat(reader.advance()).isFalse();
    assertThat(reader.getWatermark()).isEqualTo(BoundedWindow.TIMESTAMP_MIN_VALUE);
    clock.addAndGet(1);
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 70_000));
    clock.addAndGet(5_000);
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 75_000));
  }

  @Test
  void whileMessagesComeTheWrappedWatermarkRulesAndAfterTheLastOneTheTimeoutCountsAgainNeverMovingBack()
      throws Exception {
    ScriptedReader beams = new ScriptedReader();
    IdleAwareSource<byte[], UnboundedSource.CheckpointMark>.Reader reader = reader(beams, Duration.standardSeconds(10));
    assertThat(reader.start()).isFalse();
    clock.addAndGet(10_000);
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 10_000));

    beams.records.add(new byte[] {1});
    beams.records.add(new byte[] {2});
    clock.addAndGet(1_000);
    assertThat(reader.advance()).isTrue();
    assertThat(reader.getCurrent()).containsExactly(1);
    clock.addAndGet(20_000); // a message came: no longer idle, however long it takes to ask for the next
    assertThat(reader.getWatermark()).as("Beam's beginning of time is not a step back").isEqualTo(new Instant(T0 + 10_000));
    beams.watermark = new Instant(T0 + 12_000); // Beam's samples
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 12_000));
    assertThat(reader.advance()).isTrue();
    clock.addAndGet(1_000);
    assertThat(reader.advance()).as("the first empty pull after the last message").isFalse(); // T0 + 32 s
    clock.addAndGet(5_000);
    assertThat(reader.advance()).isFalse();
    clock.addAndGet(4_999);
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 12_000));
    clock.addAndGet(1);
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 42_000));
    beams.watermark = new Instant(T0 + 100_000); // Beam's own idle rule, a minute later
    clock.addAndGet(1);
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 100_000));
    beams.records.add(new byte[] {3});
    beams.watermark = new Instant(T0 + 50_000);
    assertThat(reader.advance()).isTrue();
    assertThat(reader.getWatermark()).isEqualTo(new Instant(T0 + 100_000));
  }

  @Test
  void aReaderThatNeverPulledEmptyIsTheWrappedOne() throws Exception {
    ScriptedReader beams = new ScriptedReader();
    beams.records.add(new byte[] {7});
    IdleAwareSource<byte[], UnboundedSource.CheckpointMark>.Reader reader = reader(beams, Duration.standardSeconds(1));
    assertThat(reader.start()).isTrue();
    assertThat(reader.getCurrentRecordId()).containsExactly(7);
    clock.addAndGet(3_600_000); // no pull came back empty: not idle
    assertThat(reader.getWatermark()).isEqualTo(BoundedWindow.TIMESTAMP_MIN_VALUE);
    assertThat(reader.getCheckpointMark()).isSameAs(beams.mark);
    reader.close();
    assertThat(beams.closed).isTrue();
  }

  @Test
  void splitsAreWrappedAndKeepTheWrappedSourcesCodersAndDeduplication() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    UnboundedSource<byte[], UnboundedSource.CheckpointMark> beams = PubsubRead.beamSource(
        PubsubIO.readMessagesWithAttributesAndMessageIdAndOrderingKey().fromSubscription("projects/my-project/subscriptions/orders-sub"));
    IdleAwareSource<byte[], UnboundedSource.CheckpointMark> source =
        new IdleAwareSource<>(beams, Duration.standardSeconds(10));
    List<IdleAwareSource<byte[], UnboundedSource.CheckpointMark>> splits = source.split(3, options);
    assertThat(splits).isNotEmpty().allSatisfy(s -> {
      assertThat(s.getOutputCoder()).isEqualTo(beams.getOutputCoder());
      assertThat(s.getCheckpointMarkCoder()).isEqualTo(beams.getCheckpointMarkCoder());
      assertThat(s.requiresDeduping()).isEqualTo(beams.requiresDeduping()).isTrue();
    });
    assertThat(beams.getClass().getName()).contains("PubsubUnboundedSource");
  }

  @Test
  void theIdleTimeoutMustBePositive() {
    assertThatThrownBy(() -> PubsubRead.fromSubscription("projects/p/subscriptions/s").withIdleTimeout(Duration.ZERO))
        .hasMessageContaining("withIdleTimeout(PT0S): more than 0");
  }

  private IdleAwareSource<byte[], UnboundedSource.CheckpointMark>.Reader reader(ScriptedReader beams, Duration idle) {
    IdleAwareSource<byte[], UnboundedSource.CheckpointMark> source = new IdleAwareSource<>(beams.source, idle);
    return source.new Reader(beams, clock::get);
  }

  /** Hands out the queued records; its watermark is whatever the test sets. */
  static final class ScriptedReader extends UnboundedSource.UnboundedReader<byte[]> {
    final Deque<byte[]> records = new ArrayDeque<>();
    final UnboundedSource.CheckpointMark mark = () -> { };
    Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
    byte[] current;
    boolean closed;
    final UnboundedSource<byte[], UnboundedSource.CheckpointMark> source = new UnboundedSource<>() {
      @Override
      public List<? extends UnboundedSource<byte[], CheckpointMark>> split(int n, PipelineOptions options) {
        return List.of(this);
      }

      @Override
      public UnboundedReader<byte[]> createReader(PipelineOptions options, CheckpointMark checkpointMark) {
        return ScriptedReader.this;
      }

      @Override
      public Coder<CheckpointMark> getCheckpointMarkCoder() {
        throw new UnsupportedOperationException();
      }

      @Override
      public Coder<byte[]> getOutputCoder() {
        return ByteArrayCoder.of();
      }
    };

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      current = records.poll();
      return current != null;
    }

    @Override
    public byte[] getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public byte[] getCurrentRecordId() {
      return getCurrent();
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(T0);
    }

    @Override
    public Instant getWatermark() {
      return watermark;
    }

    @Override
    public UnboundedSource.CheckpointMark getCheckpointMark() {
      return mark;
    }

    @Override
    public UnboundedSource<byte[], ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
