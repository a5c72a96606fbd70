package dev.astrabridge.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import dev.astrabridge.astradb.AstraDbIO;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.events.DeviceTelemetry;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;

/**
 * Sink benchmark: N telemetry rows (default 1,000,000; -Drows=N) written into a fresh table by
 * (1) a raw java-driver loop (async, UNLOGGED same-partition batches of 32, 128 in flight),
 * (2) AstraDbIO on the DirectRunner, (3) AstraDbIO on the embedded Flink runner (parallelism 2) — same rows, same
 * batching, one run, one machine. Prints rows/s and the ratio of each to the raw loop.
 * Run: see the README ("Benchmarks").
 */
public final class SinkBenchmark {
  static final int PER_DEVICE = 1000;
  static final String TABLE = "bench_telemetry";

  public static void main(String[] args) throws Exception {
    long rows = Long.getLong("rows", 1_000_000L);
    LocalStack stack = LocalStack.get();
    try (CqlSession session = session(stack)) {
      session.execute("DROP TABLE IF EXISTS " + TABLE);
      session.execute("CREATE TABLE " + TABLE + " (device_id text, reading_time timestamp, event_id uuid,"
          + " temperature_c double, humidity_pct float, battery_mv int, location frozen<geo_point>, firmware text,"
          + " flags set<text>, metrics map<text, double>, ip_address inet, PRIMARY KEY ((device_id), reading_time))"
          + " WITH CLUSTERING ORDER BY (reading_time DESC)");
    }
    Map<String, Double> results = new LinkedHashMap<>();
    if ("flink".equals(System.getProperty("only"))) {
      pipeline(stack, "flink", rows, true);
      System.exit(0);
    }
    // warm-up: a small run of each, so JIT and connections do not count against one of them
    raw(stack, "warm-raw", Math.min(rows, 50_000));
    pipeline(stack, "warm-direct", Math.min(rows, 50_000), false);
    pipeline(stack, "warm-flink", Math.min(rows, 50_000), true);

    results.put("raw java-driver loop (async, batches of 32)", raw(stack, "raw", rows));
    results.put("AstraDbIO on the DirectRunner", pipeline(stack, "direct", rows, false));
    results.put("AstraDbIO on the Flink runner (embedded, parallelism 2)", pipeline(stack, "flink", rows, true));

    double baseline = results.values().iterator().next();
    System.out.printf("%nSink benchmark: %,d rows of DeviceTelemetry into %s.%s (%d rows per partition)%n", rows,
        stack.keyspace(), TABLE, PER_DEVICE);
    System.out.printf("%-58s %12s %10s%n", "writer", "rows/s", "vs raw");
    results.forEach((name, rate) -> System.out.printf("%-58s %,12.0f %9.0f%%%n", name, rate, 100 * rate / baseline));
    System.exit(0);
  }

  static CqlSession session(LocalStack stack) {
    return CqlSession.builder().addContactPoint(stack.cassandraContactPoint()).withLocalDatacenter(stack.cassandraLocalDc())
        .withAuthCredentials("token", stack.astraToken()).withKeyspace(stack.keyspace()).build();
  }

  static double raw(LocalStack stack, String run, long rows) throws Exception {
    try (CqlSession session = session(stack)) {
      PreparedStatement insert = session.prepare("INSERT INTO " + TABLE + " (device_id, reading_time, event_id,"
          + " temperature_c, humidity_pct, battery_mv, location, firmware, flags, metrics, ip_address)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?");
      UserDefinedType geo = session.getMetadata().getKeyspace(stack.keyspace()).orElseThrow().getUserDefinedType("geo_point").orElseThrow();
      Semaphore inFlight = new Semaphore(128);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong written = new AtomicLong();
      long start = System.nanoTime();
      List<BoundStatement> batch = new ArrayList<>();
      for (long i = 0; i < rows; i++) {
        DeviceTelemetry r = BenchData.reading(run, i, PER_DEVICE);
        UdtValue location = geo.newValue().setDouble("lat", r.getLocation().getLat()).setDouble("lon", r.getLocation().getLon());
        batch.add(insert.bind(r.getDeviceId(), r.getReadingTime(), r.getEventId(), r.getTemperatureC(), r.getHumidityPct(),
            r.getBatteryMv(), location, r.getFirmware(), new java.util.LinkedHashSet<>(r.getFlags()), r.getMetrics(),
            InetAddress.getByName(r.getIpAddress()), r.getReadingTime().toEpochMilli() * 1000L));
        boolean lastOfDevice = (i + 1) % PER_DEVICE == 0 || i + 1 == rows;
        if (batch.size() == 32 || lastOfDevice) {
          BatchStatement statement = BatchStatement.newInstance(DefaultBatchType.UNLOGGED, batch.toArray(new BoundStatement[0]))
              .setIdempotent(true);
          int size = batch.size();
          batch = new ArrayList<>();
          inFlight.acquire();
          session.executeAsync(statement).whenComplete((rs, e) -> {
            if (e != null) {
              failure.compareAndSet(null, e);
            } else {
              written.addAndGet(size);
            }
            inFlight.release();
          });
        }
      }
      inFlight.acquire(128);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (failure.get() != null) {
        throw new IllegalStateException("raw loop failed", failure.get());
      }
      report(run, written.get(), seconds);
      return written.get() / seconds;
    }
  }

  /** Device d -> its PER_DEVICE readings: the source emits one element per device, not per row. */
  static final class DeviceReadings extends DoFn<Long, BridgeMessage> {
    private final String run;
    private final long rows;

    DeviceReadings(String run, long rows) {
      this.run = run;
      this.rows = rows;
    }

    @ProcessElement
    public void process(@Element Long device, OutputReceiver<BridgeMessage> out) {
      for (long i = device * PER_DEVICE; i < Math.min(rows, (device + 1) * PER_DEVICE); i++) {
        out.output(BenchData.message(BenchData.reading(run, i, PER_DEVICE)));
      }
    }
  }

  static double pipeline(LocalStack stack, String run, long rows, boolean flink) {
    PipelineOptions options;
    if (flink) {
      FlinkPipelineOptions o = PipelineOptionsFactory.create().as(FlinkPipelineOptions.class);
      o.setRunner(FlinkRunner.class);
      o.setParallelism(Integer.getInteger("flinkParallelism", 2));
      o.setFasterCopy(true);
      o.setMaxBundleSize(Long.getLong("flinkBundle", 100_000L));
      options = o;
    } else {
      DirectOptions o = PipelineOptionsFactory.create().as(DirectOptions.class);
      o.setRunner(DirectRunner.class);
      o.setTargetParallelism(2);
      o.setEnforceImmutability(false);
      o.setEnforceEncodability(false);
      options = o;
    }
    Pipeline pipeline = Pipeline.create(options);
    pipeline.apply("Devices", GenerateSequence.from(0).to((rows + PER_DEVICE - 1) / PER_DEVICE))
        .apply("Readings", ParDo.of(new DeviceReadings(run, rows))).setCoder(AvroCoder.of(BridgeMessage.class))
        .apply("Write", AstraDbIO.write()
            .withConnection(AstraDbConnection.cassandra(List.of(stack.cassandraContactPoint().getHostString() + ":"
                + stack.cassandraContactPoint().getPort()), stack.cassandraLocalDc())
                .withCredentials("token", SecretRef.file(stack.astraTokenFile().toString())))
            .withTable(stack.keyspace(), TABLE)
            .withPayloadFormat(PayloadFormat.avroSingleObject(DeviceTelemetry.getClassSchema()))
            .withBatching(32, 64 * 1024)
            .withMaxConcurrentRequests(128));
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    long written = counter(result, "rows_written");
    long dead = counter(result, "dead_lettered");
    if (written != rows || dead != 0) {
      throw new IllegalStateException(run + ": wrote " + written + " rows and dead-lettered " + dead + ", expected " + rows);
    }
    report(run, written, seconds);
    return written / seconds;
  }

  static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named("astradb:" + "astra_bridge." + TABLE, name)).build());
    long total = 0;
    for (MetricResult<Long> counter : metrics.getCounters()) {
      total += counter.getAttempted();
    }
    return total;
  }

  static void report(String run, long rows, double seconds) {
    System.out.printf("  %-12s %,10d rows in %6.1f s = %,9.0f rows/s%n", run, rows, seconds, rows / seconds);
  }

  private SinkBenchmark() {}
}
