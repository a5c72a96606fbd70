package dev.astrabridge.bridge.pubsub;

import java.io.IOException;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * An unbounded source whose readers' watermark follows the clock once a reader has pulled nothing for
 * {@code idleTimeout} (counted from its first empty pull after its last message, or after its start); otherwise the
 * wrapped reader's watermark. The watermark never moves back. Everything else — splits, records, ids for the runner's
 * deduplication, checkpoint marks and their finalization (the acknowledgement) — is the wrapped source's.
 *
 * <p>Why: Beam's Pub/Sub reader (PubsubIO off Dataflow) reports the beginning of time until it has received a first
 * message, and after that the oldest publish time it read in the last minute, following the clock only after a
 * whole minute without messages. A runner reads one subscription with several readers and the job's watermark is the
 * lowest of them, so one reader that never got a message — on a quiet subscription, or every reader of a job
 * restored from a checkpoint once the backlog is gone — stops event time for the whole job (windows never close, the
 * mirror's order step waits for its bound), and after a burst everything waits a minute. This is the rule the
 * Pulsar source applies per partition ({@code --pulsarIdleTimeout}). A message published before the clock reading
 * but delivered after it (in flight, or held back by the subscription) is then behind the watermark: the ingest job's
 * late filter and the mirror's order step count such messages.
 */
final class IdleAwareSource<T, C extends UnboundedSource.CheckpointMark> extends UnboundedSource<T, C> {
  private static final long serialVersionUID = 1L;
  private final UnboundedSource<T, C> source;
  private final Duration idleTimeout;

  IdleAwareSource(UnboundedSource<T, C> source, Duration idleTimeout) {
    this.source = source;
    this.idleTimeout = idleTimeout;
  }

  @Override
  public List<IdleAwareSource<T, C>> split(int desiredNumSplits, PipelineOptions options) throws Exception {
    return source.split(desiredNumSplits, options).stream().map(s -> new IdleAwareSource<T, C>(s, idleTimeout))
        .collect(Collectors.toList());
  }

  @Override
  public UnboundedReader<T> createReader(PipelineOptions options, @Nullable C checkpointMark) throws IOException {
    return new Reader(source.createReader(options, checkpointMark));
  }

  @Override
  public Coder<C> getCheckpointMarkCoder() {
    return source.getCheckpointMarkCoder();
  }

  @Override
  public Coder<T> getOutputCoder() {
    return source.getOutputCoder();
  }

  @Override
  public boolean requiresDeduping() {
    return source.requiresDeduping();
  }

  @Override
  public boolean offsetBasedDeduplicationSupported() {
    return source.offsetBasedDeduplicationSupported();
  }

  @Override
  public void validate() {
    source.validate();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    builder.include("source", source);
    builder.add(DisplayData.item("idleTimeout", idleTimeout.toString()).withLabel("Watermark follows the clock after"));
  }

  /** Wall clock in ms; a test may replace the reader's. */
  interface Clock {
    long millis();
  }

  final class Reader extends UnboundedReader<T> {
    private final UnboundedReader<T> reader;
    private final Clock clock;
    /** When the reader's first empty pull since its last message (or its start) returned; -1 while not idle. */
    private long quietSince = -1;
    private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;

    Reader(UnboundedReader<T> reader) {
      this(reader, System::currentTimeMillis);
    }

    Reader(UnboundedReader<T> reader, Clock clock) {
      this.reader = reader;
      this.clock = clock;
    }

    @Override
    public boolean start() throws IOException {
      return note(reader.start());
    }

    @Override
    public boolean advance() throws IOException {
      return note(reader.advance());
    }

    private boolean note(boolean available) {
      if (available) {
        quietSince = -1;
      } else if (quietSince < 0) {
        quietSince = clock.millis();
      }
      return available;
    }

    @Override
    public Instant getWatermark() {
      Instant current = reader.getWatermark();
      if (quietSince >= 0) {
        long now = clock.millis();
        if (now - quietSince >= idleTimeout.getMillis() && current.isBefore(new Instant(now))) {
          current = new Instant(now);
        }
      }
      if (current.isAfter(watermark)) {
        watermark = current;
      }
      return watermark;
    }

    @Override
    public T getCurrent() throws NoSuchElementException {
      return reader.getCurrent();
    }

    @Override
    public Instant getCurrentTimestamp() throws NoSuchElementException {
      return reader.getCurrentTimestamp();
    }

    @Override
    public byte[] getCurrentRecordId() throws NoSuchElementException {
      return reader.getCurrentRecordId();
    }

    @Override
    public byte[] getCurrentRecordOffset() {
      return reader.getCurrentRecordOffset();
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return reader.getCheckpointMark();
    }

    @Override
    public long getSplitBacklogBytes() {
      return reader.getSplitBacklogBytes();
    }

    @Override
    public long getTotalBacklogBytes() {
      return reader.getTotalBacklogBytes();
    }

    @Override
    public IdleAwareSource<T, C> getCurrentSource() {
      return IdleAwareSource.this;
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }
}
