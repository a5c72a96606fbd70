package dev.astrabridge.astradb.write;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.NoNodeAvailableException;
import com.datastax.oss.driver.api.core.connection.BusyConnectionException;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.servererrors.OverloadedException;
import com.datastax.oss.driver.api.core.servererrors.QueryValidationException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import dev.astrabridge.astradb.connect.SessionCache;
import dev.astrabridge.astradb.connect.SharedPerJvm;
import dev.astrabridge.astradb.decode.DecodeException;
import dev.astrabridge.astradb.decode.PayloadDecoder;
import dev.astrabridge.astradb.mapping.MappingPlan;
import dev.astrabridge.astradb.mapping.RecordMappingException;
import dev.astrabridge.astradb.metrics.WriteMetrics;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.envelope.DeadLetters;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Decodes, maps and writes messages into one table.
 *
 * <ul>
 *   <li>Decoding and mapping failures go to the dead-letter output at once (never retried).</li>
 *   <li>Rows of one bundle that share a partition key are written as UNLOGGED batches (bounded by rows and bytes);
 *       others as single statements; all asynchronously, bounded by an {@link AimdLimiter}.</li>
 *   <li>Failed writes are retried with exponential backoff until {@code retryTimeout}; overload lowers the
 *       concurrency; a batch the server rejects is split into single rows.</li>
 *   <li>{@link #finishBundle} returns only when every write of the bundle is acknowledged or has finally failed, so
 *       a bundle the runner retries never loses rows; final failures are dead-lettered or fail the bundle
 *       ({@link FailurePolicy}).</li>
 * </ul>
 */
public final class WriteFn extends DoFn<BridgeMessage, Void> {
  private static final long serialVersionUID = 1L;

  /** Shared by all instances: schedules retries after their backoff. */
  private static final ScheduledExecutorService RETRIES = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "astradb-write-retries");
    t.setDaemon(true);
    return t;
  });

  private final WriteSpec spec;
  private final TupleTag<DeadLetter> deadLetterTag;

  private transient SharedPerJvm<CqlSession>.Lease lease;
  private transient CqlSession session;
  private transient MappingPlan plan;
  private transient PayloadDecoder decoder;
  private transient AimdLimiter limiter;
  private transient WriteMetrics metrics;

  private transient Map<ByteBuffer, List<Row>> open;
  private transient Map<ByteBuffer, Integer> openBytes;
  private transient int buffered;
  private transient int sinceFlush;
  private transient List<CompletableFuture<Void>> inFlight;
  private transient ConcurrentLinkedQueue<Failure> failures;

  /** A mapped row and where its message came from (for the dead-letter output). */
  private record Row(BridgeMessage message, Instant timestamp, BoundedWindow window, BoundStatement statement, int bytes) {}

  private record Failure(List<Row> rows, Throwable error, int attempts) {}

  public WriteFn(WriteSpec spec, TupleTag<DeadLetter> deadLetterTag) {
    this.spec = spec;
    this.deadLetterTag = deadLetterTag;
  }

  @Setup
  public void setup() {
    lease = SessionCache.acquire(spec.connection(), spec.sessionFactory());
    try {
      session = lease.get();
      plan = MappingPlan.build(session, spec.keyspace(), spec.table(), spec.mapping(), spec.payloadFormat().readerSchema(),
          spec.planOptions());
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
    decoder = spec.payloadFormat().newDecoder();
    limiter = new AimdLimiter(spec.maxConcurrentRequests());
    metrics = new WriteMetrics(plan.target());
  }

  @StartBundle
  public void startBundle() {
    open = new LinkedHashMap<>();
    openBytes = new LinkedHashMap<>();
    buffered = 0;
    inFlight = new ArrayList<>();
    failures = new ConcurrentLinkedQueue<>();
  }

  @ProcessElement
  public void processElement(@Element BridgeMessage message, @Timestamp Instant timestamp, BoundedWindow window,
                             MultiOutputReceiver out) throws InterruptedException {
    byte[] payload = bytes(message.getPayload());
    GenericRecord record = null;
    if (payload.length > 0 || !spec.tombstonesDelete()) {
      try {
        record = decoder.decode(payload, message.getAttributes());
        metrics.decoded();
      } catch (DecodeException e) {
        deadLetter(out, DeadLetters.builder(message, DeadLetters.DECODE, e.getMessage()).setTarget(plan.target()).build());
        return;
      }
    }
    MappingPlan.Mapped mapped;
    try {
      mapped = plan.statementFor(record, message);
    } catch (RecordMappingException e) {
      deadLetter(out, DeadLetters.builder(message, DeadLetters.MAP, e.getMessage()).setTarget(plan.target())
          .setMappingEntry(e.entry()).setRecordJson(record == null ? null : record.toString()).build());
      return;
    }
    add(new Row(message, timestamp, window, mapped.statement(), mapped.bytes()));
    if (++sinceFlush >= 256) {
      metrics.flush();
      sinceFlush = 0;
    }
  }

  private void deadLetter(MultiOutputReceiver out, DeadLetter deadLetter) {
    out.get(deadLetterTag).output(deadLetter);
    metrics.deadLettered(deadLetter.getStage());
  }

  /** Buffers a row with the others of its partition; a full group (rows or bytes) is sent at once. */
  private void add(Row row) throws InterruptedException {
    ByteBuffer partition = row.statement().getRoutingKey();
    if (partition == null || spec.maxBatchRows() <= 1) {
      submit(List.of(row));
      return;
    }
    List<Row> group = open.computeIfAbsent(partition, k -> new ArrayList<>());
    int bytes = openBytes.merge(partition, row.bytes(), Integer::sum);
    if (!group.isEmpty() && bytes > spec.maxBatchBytes()) {
      // this row would make the batch too big: send what is there, start a new group with it
      open.remove(partition);
      openBytes.put(partition, row.bytes());
      buffered -= group.size();
      submit(group);
      group = new ArrayList<>();
      open.put(partition, group);
    }
    group.add(row);
    buffered++;
    if (group.size() >= spec.maxBatchRows()) {
      open.remove(partition);
      openBytes.remove(partition);
      buffered -= group.size();
      submit(group);
    }
    if (buffered >= spec.maxBufferedRows()) {
      flushOpen();
    }
  }

  private void flushOpen() throws InterruptedException {
    List<List<Row>> groups = new ArrayList<>(open.values());
    open.clear();
    openBytes.clear();
    buffered = 0;
    for (List<Row> group : groups) {
      submit(group);
    }
  }

  private void submit(List<Row> rows) throws InterruptedException {
    limiter.acquire();
    CompletableFuture<Void> done = new CompletableFuture<>();
    done.whenComplete((v, e) -> limiter.release());
    inFlight.add(done);
    if (inFlight.size() > 4 * spec.maxConcurrentRequests()) {
      inFlight.removeIf(CompletableFuture::isDone);
    }
    Statement<?> statement;
    if (rows.size() == 1) {
      statement = rows.get(0).statement();
    } else {
      List<BoundStatement> statements = new ArrayList<>(rows.size());
      rows.forEach(r -> statements.add(r.statement()));
      statement = BatchStatement.newInstance(DefaultBatchType.UNLOGGED, statements.toArray(new BoundStatement[0]))
          .setIdempotent(true).setConsistencyLevel(spec.planOptions().consistency());
    }
    attempt(statement, rows, System.nanoTime(), 1, done);
  }

  private void attempt(Statement<?> statement, List<Row> rows, long firstTry, int attempt, CompletableFuture<Void> done) {
    long start = System.nanoTime();
    session.executeAsync(statement).whenComplete((result, error) -> {
      if (error == null) {
        limiter.onSuccess();
        metrics.written(rows.size(), rows.size() > 1, System.nanoTime() - start);
        for (Row row : rows) {
          if (row.timestamp().isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) { // a bulk load's records have no time
            metrics.eventWritten(row.timestamp().getMillis());
          }
        }
        done.complete(null);
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (isOverload(cause)) {
        limiter.onOverload();
      }
      if (rows.size() > 1 && cause instanceof QueryValidationException) {
        // e.g. a batch over the server's size limit: write the rows one by one instead
        List<CompletableFuture<Void>> singles = new ArrayList<>();
        for (Row row : rows) {
          CompletableFuture<Void> single = new CompletableFuture<>();
          singles.add(single);
          attempt(row.statement(), List.of(row), firstTry, attempt, single);
        }
        CompletableFuture.allOf(singles.toArray(new CompletableFuture[0])).whenComplete((v, e) -> done.complete(null));
        return;
      }
      boolean retry = !(cause instanceof QueryValidationException)
          && System.nanoTime() - firstTry < spec.retryTimeout().toNanos();
      if (retry) {
        metrics.retried();
        RETRIES.schedule(() -> attempt(statement, rows, firstTry, attempt + 1, done), backoffMillis(attempt),
            TimeUnit.MILLISECONDS);
        return;
      }
      failures.add(new Failure(rows, cause, attempt));
      done.complete(null);
    });
  }

  static long backoffMillis(int attempt) {
    long base = Math.min(5_000L, 100L << Math.min(attempt - 1, 10));
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  static boolean isOverload(Throwable error) {
    return error instanceof OverloadedException || error instanceof WriteTimeoutException
        || error instanceof BusyConnectionException || error instanceof DriverTimeoutException
        || (error.getMessage() != null && error.getMessage().toLowerCase().contains("rate limit"));
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) throws Exception {
    flushOpen();
    try {
      CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("a write future failed unexpectedly", e.getCause());
    }
    inFlight.clear();
    metrics.flush();
    if (failures.isEmpty()) {
      return;
    }
    if (spec.failurePolicy() == FailurePolicy.FAIL_BUNDLE) {
      Failure first = failures.peek();
      int rows = failures.stream().mapToInt(f -> f.rows().size()).sum();
      throw new WriteFailedException(rows + " rows of this bundle could not be written to " + plan.target() + " after "
          + first.attempts() + " attempts; the runner will retry the bundle: " + DeadLetters.describe(first.error()),
          first.error());
    }
    for (Failure failure : failures) {
      String reason = (failure.error() instanceof NoNodeAvailableException ? "no node available: " : "")
          + DeadLetters.describe(failure.error());
      for (Row row : failure.rows()) {
        DeadLetter deadLetter = DeadLetters.builder(row.message(), DeadLetters.WRITE, reason).setTarget(plan.target())
            .setAttempts(failure.attempts()).build();
        context.output(deadLetterTag, deadLetter, row.timestamp(), row.window());
        metrics.deadLettered(DeadLetters.WRITE);
      }
    }
    failures.clear();
  }

  @Teardown
  public void teardown() {
    if (lease != null) {
      lease.close();
      lease = null;
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return new byte[0];
    }
    ByteBuffer b = buffer.duplicate();
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return bytes;
  }

  /** Rows that could not be written within the retry budget, under {@link FailurePolicy#FAIL_BUNDLE}. */
  public static final class WriteFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    WriteFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
