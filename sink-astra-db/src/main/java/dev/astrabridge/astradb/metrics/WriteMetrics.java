package dev.astrabridge.astradb.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;

/**
 * Metrics of one table's writes, as Beam counters/distributions (namespace {@code astradb:<keyspace.table>}) and as
 * Micrometer meters on {@link Metrics#globalRegistry} (tag {@code table}); the bridge adds a Prometheus registry to
 * it on non-Dataflow runners.
 *
 * <p>Beam metrics can only be updated on the DoFn's thread, while writes complete on driver threads: completions add
 * to atomics here, and {@link #flush()} (called from processElement/finishBundle) moves them to Beam.
 */
public final class WriteMetrics {
  private final Counter rowsWritten;
  private final Counter decoded;
  private final Distribution eventToWriteMs;
  private final Counter batches;
  private final Counter retries;
  private final Counter deadLettered;
  private final Distribution latencyMs;
  private final String namespace;
  private final io.micrometer.core.instrument.Counter rowsWrittenMeter;
  private final io.micrometer.core.instrument.Counter retriesMeter;
  private final Timer latencyMeter;
  private final io.micrometer.core.instrument.Counter decodedMeter;
  private final Timer eventToWriteMeter;
  private final MeterRegistry registry;
  private final String table;

  private final AtomicLong pendingRows = new AtomicLong();
  private final AtomicLong pendingBatches = new AtomicLong();
  private final AtomicLong pendingRetries = new AtomicLong();
  private final AtomicLong latencySum = new AtomicLong();
  private final AtomicLong latencyCount = new AtomicLong();
  private final AtomicLong latencyMin = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong latencyMax = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong eventSum = new AtomicLong();
  private final AtomicLong eventCount = new AtomicLong();
  private final AtomicLong eventMin = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong eventMax = new AtomicLong(Long.MIN_VALUE);

  public WriteMetrics(String table) {
    this.table = table;
    this.namespace = "astradb:" + table;
    this.rowsWritten = org.apache.beam.sdk.metrics.Metrics.counter(namespace, "rows_written");
    this.batches = org.apache.beam.sdk.metrics.Metrics.counter(namespace, "batches");
    this.retries = org.apache.beam.sdk.metrics.Metrics.counter(namespace, "retries");
    this.deadLettered = org.apache.beam.sdk.metrics.Metrics.counter(namespace, "dead_lettered");
    this.latencyMs = org.apache.beam.sdk.metrics.Metrics.distribution(namespace, "write_latency_ms");
    this.decoded = org.apache.beam.sdk.metrics.Metrics.counter(namespace, "decoded");
    this.eventToWriteMs = org.apache.beam.sdk.metrics.Metrics.distribution(namespace, "event_to_write_latency_ms");
    this.registry = Metrics.globalRegistry;
    this.rowsWrittenMeter = registry.counter("astradb.rows.written", "table", table);
    this.retriesMeter = registry.counter("astradb.retries", "table", table);
    this.latencyMeter = Timer.builder("astradb.write.latency").tag("table", table).publishPercentileHistogram()
        .register(registry);
    this.decodedMeter = registry.counter("astradb.decoded", "table", table);
    this.eventToWriteMeter = Timer.builder("astradb.event.to.write").tag("table", table)
        .description("from a row's event time (its element timestamp) to the acknowledgement of its write")
        .publishPercentiles(0.5, 0.9, 0.99).publishPercentileHistogram().register(registry);
  }

  /** A message decoded into a record; DoFn thread only. */
  public void decoded() {
    decoded.inc();
    decodedMeter.increment();
  }

  /** A row whose event time was {@code eventTimeMillis} acknowledged now; any thread. */
  public void eventWritten(long eventTimeMillis) {
    long ms = Math.max(0, System.currentTimeMillis() - eventTimeMillis);
    eventSum.addAndGet(ms);
    eventCount.incrementAndGet();
    eventMin.accumulateAndGet(ms, Math::min);
    eventMax.accumulateAndGet(ms, Math::max);
    eventToWriteMeter.record(ms, TimeUnit.MILLISECONDS);
  }

  /** A write (one row or one batch) acknowledged; any thread. */
  public void written(int rows, boolean batch, long latencyNanos) {
    pendingRows.addAndGet(rows);
    if (batch) {
      pendingBatches.incrementAndGet();
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(latencyNanos);
    latencySum.addAndGet(ms);
    latencyCount.incrementAndGet();
    latencyMin.accumulateAndGet(ms, Math::min);
    latencyMax.accumulateAndGet(ms, Math::max);
    rowsWrittenMeter.increment(rows);
    latencyMeter.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  /** A write retried; any thread. */
  public void retried() {
    pendingRetries.incrementAndGet();
    retriesMeter.increment();
  }

  /** A message dead-lettered at {@code stage}; DoFn thread only. */
  public void deadLettered(String stage) {
    deadLettered.inc();
    org.apache.beam.sdk.metrics.Metrics.counter(namespace, "dead_lettered_" + stage).inc();
    registry.counter("astradb.dead.lettered", "table", table, "stage", stage).increment();
  }

  /** Moves what driver threads recorded into Beam's metrics; DoFn thread only. */
  public void flush() {
    long rows = pendingRows.getAndSet(0);
    if (rows > 0) {
      rowsWritten.inc(rows);
    }
    long b = pendingBatches.getAndSet(0);
    if (b > 0) {
      batches.inc(b);
    }
    long r = pendingRetries.getAndSet(0);
    if (r > 0) {
      retries.inc(r);
    }
    long count = latencyCount.getAndSet(0);
    if (count > 0) {
      latencyMs.update(latencySum.getAndSet(0), count, latencyMin.getAndSet(Long.MAX_VALUE), latencyMax.getAndSet(Long.MIN_VALUE));
    }
    long events = eventCount.getAndSet(0);
    if (events > 0) {
      eventToWriteMs.update(eventSum.getAndSet(0), events, eventMin.getAndSet(Long.MAX_VALUE),
          eventMax.getAndSet(Long.MIN_VALUE));
    }
  }
}
