package dev.astrabridge.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.schemas.events.DeviceTelemetry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Messages;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * Ingest benchmark: DeviceTelemetry events (Avro single-object, 1,000 readings per device) into Astra DB's
 * {@code bench_telemetry} table. Phases (-Dphases=throughput,latency,pubsub,heap; default all but heap):
 * <ul>
 *   <li><b>throughput</b>: N events (-Devents, default 500,000) preloaded into a 2-partition Pulsar topic, drained by
 *       (1) a raw loop — pulsar-client consumer → decode → bind → UNLOGGED same-partition batches of ≤ 32, 128 writes
 *       in flight → acknowledge once written — and (2) the ingest job on the embedded Flink runner (parallelism 2,
 *       checkpoints 2 s) without dedup, and (3) the same with the default dedup by message id. Rates from the first
 *       written row; the job's start-up is printed apart.</li>
 *   <li><b>latency</b>: the ingest job running, events published at a steady rate (-Drate, default 2,000/s) for
 *       -Dseconds (default 60) with event time = the publish instant; p50/p99/max of publish → row acknowledged, from
 *       AstraDbIO's {@code astradb.event.to.write} timer (the first 10 s excluded as warm-up).</li>
 *   <li><b>pubsub</b>: the same drain from a Pub/Sub emulator subscription (-Dpubsub.events, default 50,000): a raw
 *       streaming-pull subscriber loop (ack after the write) vs the ingest job with --source=pubsub.</li>
 *   <li><b>heap</b>: -Dheap.events (default 5,000,000) preloaded, drained by the ingest job; heap used after a full
 *       GC printed every 10 % — flat means no state or buffer grows with the stream.</li>
 * </ul>
 */
public final class IngestBenchmark {
  static final String TABLE = "bench_telemetry";
  /** The latency phase's own table: its event-to-write timer then holds that phase's rows only. */
  static final String LATENCY_TABLE = "bench_telemetry_latency";
  static final int PER_DEVICE = 1000;

  public static void main(String[] args) throws Exception {
    LocalStack stack = LocalStack.get();
    Metrics.addRegistry(new SimpleMeterRegistry()); // AstraDbIO's meters record into the global registry
    Set<String> phases = Set.of(System.getProperty("phases", "throughput,latency,pubsub").split(","));
    try (CqlSession session = SinkBenchmark.session(stack)) {
      for (String table : List.of(TABLE, LATENCY_TABLE)) {
        session.execute("CREATE TABLE IF NOT EXISTS " + table + " (device_id text, reading_time timestamp,"
            + " event_id uuid, temperature_c double, humidity_pct float, battery_mv int, location frozen<geo_point>,"
            + " firmware text, flags set<text>, metrics map<text, double>, ip_address inet,"
            + " PRIMARY KEY ((device_id), reading_time)) WITH CLUSTERING ORDER BY (reading_time DESC)");
        session.execute("TRUNCATE " + table);
      }
    }
    String run = UUID.randomUUID().toString().substring(0, 6);
    List<String> summary = new ArrayList<>();
    try (PulsarClient pulsar = PulsarBenchmark.client(stack)) {
      if (phases.contains("throughput")) {
        long n = Long.getLong("events", 500_000L);
        String topic = PulsarBenchmark.topic(stack, "ingest-" + run);
        preloadPulsar(pulsar, topic, run, n, "raw", "bridge", "bridge-dedup");
        Map<String, Double> rates = new LinkedHashMap<>();
        rates.put("raw loop: consumer → decode → driver (batches ≤ 32, 128 in flight) → ack", rawPulsar(stack,
            pulsar, topic, n));
        rates.put("ingest job on the Flink runner, --dedupBy=none", bridge(stack, n, "--source=pulsar",
            "--pulsarTopics=" + topic, "--pulsarSubscription=bridge", "--dedupBy=none"));
        rates.put("ingest job on the Flink runner, default dedup (message id)", bridge(stack, n, "--source=pulsar",
            "--pulsarTopics=" + topic, "--pulsarSubscription=bridge-dedup"));
        summary.add(table(String.format("Pulsar → Astra DB, %,d events drained from a backlog", n), rates));
      }
      if (phases.contains("latency")) {
        summary.add(latency(stack, pulsar, run));
      }
    }
    if (phases.contains("pubsub")) {
      long n = Long.getLong("pubsub.events", 50_000L);
      try (PubsubTestClient pubsub = new PubsubTestClient(stack)) {
        String topic = pubsub.createTopic("ingest-bench-" + run, 600);
        pubsub.addSubscription(topic, "ingest-bench-raw-" + run, 600, false);
        pubsub.addSubscription(topic, "ingest-bench-bridge-" + run, 600, false);
        preloadPubsub(stack, topic, run, n);
        Map<String, Double> rates = new LinkedHashMap<>();
        rates.put("raw loop: streaming-pull subscriber → decode → driver → ack", rawPubsub(stack,
            pubsub.subscription("ingest-bench-raw-" + run), n));
        rates.put("ingest job on the Flink runner, --source=pubsub, --dedupBy=none", bridge(stack, n,
            "--source=pubsub", "--pubsubSubscription=" + pubsub.subscription("ingest-bench-bridge-" + run),
            "--dedupBy=none"));
        summary.add(table(String.format("Pub/Sub (emulator) → Astra DB, %,d events drained from a backlog", n), rates));
      }
    }
    if (phases.contains("heap")) {
      try (PulsarClient pulsar = PulsarBenchmark.client(stack)) {
        summary.add(heap(stack, pulsar, run));
      }
    }
    System.out.println();
    summary.forEach(System.out::println);
    System.exit(0);
  }

  static String table(String title, Map<String, Double> rates) {
    StringBuilder out = new StringBuilder(title).append('\n');
    double raw = rates.values().iterator().next();
    out.append(String.format("  %-72s %10s %7s%n", "", "events/s", "vs raw"));
    rates.forEach((name, rate) -> out.append(String.format("  %-72s %,10.0f %6.0f%%%n", name, rate, 100 * rate / raw)));
    return out.toString();
  }

  static byte[] event(String run, long i, Instant readingTime) {
    DeviceTelemetry r = BenchData.reading(run, i, PER_DEVICE);
    if (readingTime != null) {
      r.setReadingTime(readingTime);
    }
    try {
      return BenchData.bytes(r.toByteBuffer());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void preloadPulsar(PulsarClient client, String topic, String run, long n, String... subscriptions)
      throws Exception {
    for (String s : subscriptions) {
      client.newConsumer().topic(topic).subscriptionName(s).subscriptionType(SubscriptionType.Failover)
          .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe().close();
    }
    long start = System.nanoTime();
    try (Producer<byte[]> producer = client.newProducer().topic(topic).enableBatching(true)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS).maxPendingMessages(10_000).blockIfQueueFull(true).create()) {
      List<CompletableFuture<MessageId>> window = new ArrayList<>();
      for (long i = 0; i < n; i++) {
        window.add(producer.newMessage().key(run + "-dev-" + (i / PER_DEVICE)).value(event(run, i, null))
            .eventTime(BenchData.BASE.plusMillis(i).toEpochMilli()).sendAsync());
        if (window.size() == 100_000) {
          CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get();
          window.clear();
        }
      }
      CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get();
    }
    System.out.printf("  preloaded %,d events into %s in %.0f s%n", n, topic, (System.nanoTime() - start) / 1e9);
  }

  static void preloadPubsub(LocalStack stack, String topic, String run, long n) throws Exception {
    BenchPubsub.preload(stack, topic, n, i -> PubsubMessage.newBuilder().setData(ByteString.copyFrom(event(run, i, null)))
        .build());
  }


  /** The raw writer both raw loops share: decode, bind, same-device rows batched, 128 writes in flight. */
  static final class RawWriter implements AutoCloseable {
    final CqlSession session;
    final PreparedStatement insert;
    final UserDefinedType geo;
    final Semaphore inFlight = new Semaphore(128);
    final AtomicLong written = new AtomicLong();
    final AtomicLong first = new AtomicLong();
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    RawWriter(LocalStack stack) {
      session = SinkBenchmark.session(stack);
      insert = session.prepare("INSERT INTO " + TABLE + " (device_id, reading_time, event_id, temperature_c,"
          + " humidity_pct, battery_mv, location, firmware, flags, metrics, ip_address) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
          + " ?, ?, ?) USING TIMESTAMP ?");
      geo = session.getMetadata().getKeyspace(session.getKeyspace().orElseThrow()).orElseThrow()
          .getUserDefinedType("geo_point").orElseThrow();
    }

    BoundStatement bind(byte[] payload) throws Exception {
      DeviceTelemetry r = DeviceTelemetry.fromByteBuffer(ByteBuffer.wrap(payload));
      UdtValue location = geo.newValue().setDouble("lat", r.getLocation().getLat())
          .setDouble("lon", r.getLocation().getLon());
      return insert.bind(r.getDeviceId(), r.getReadingTime(), r.getEventId(), r.getTemperatureC(), r.getHumidityPct(),
          r.getBatteryMv(), location, r.getFirmware(), new LinkedHashSet<>(r.getFlags()), r.getMetrics(),
          InetAddress.getByName(r.getIpAddress()), r.getReadingTime().toEpochMilli() * 1000L);
    }

    /** Writes the rows (one device's, at most 32) and runs {@code then} once they are acknowledged. */
    void write(List<BoundStatement> rows, Runnable then) throws InterruptedException {
      inFlight.acquire();
      var statement = rows.size() == 1 ? rows.get(0)
          : BatchStatement.newInstance(DefaultBatchType.UNLOGGED, rows.toArray(new BoundStatement[0])).setIdempotent(true);
      session.executeAsync(statement).whenComplete((rs, e) -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        } else {
          first.compareAndSet(0, System.nanoTime());
          written.addAndGet(rows.size());
          then.run();
        }
        inFlight.release();
      });
    }

    @Override
    public void close() {
      session.close();
    }
  }

  static double rawPulsar(LocalStack stack, PulsarClient client, String topic, long n) throws Exception {
    try (RawWriter writer = new RawWriter(stack);
         Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("raw")
             .subscriptionType(SubscriptionType.Failover).receiverQueueSize(1000).subscribe()) {
      long start = System.nanoTime();
      long received = 0;
      while (received < n) {
        Messages<byte[]> batch = consumer.batchReceive();
        List<BoundStatement> rows = new ArrayList<>();
        List<MessageId> ids = new ArrayList<>();
        String device = null;
        for (Message<byte[]> m : batch) {
          received++;
          if ((device != null && !device.equals(m.getKey())) || rows.size() == 32) {
            List<MessageId> acks = ids;
            writer.write(rows, () -> consumer.acknowledgeAsync(acks));
            rows = new ArrayList<>();
            ids = new ArrayList<>();
          }
          device = m.getKey();
          rows.add(writer.bind(m.getValue()));
          ids.add(m.getMessageId());
        }
        if (!rows.isEmpty()) {
          List<MessageId> acks = ids;
          writer.write(rows, () -> consumer.acknowledgeAsync(acks));
        }
      }
      return MirrorBenchmark.awaitCount("raw Pulsar → Astra DB", writer.written::get, n, start, writer.first,
          writer.failure);
    }
  }

  static double rawPubsub(LocalStack stack, String subscription, long n) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext().build();
    try (RawWriter writer = new RawWriter(stack)) {
      long start = System.nanoTime();
      Subscriber subscriber = BenchPubsub.subscribe(channel, subscription, (message, reply) -> {
        try {
          writer.write(List.of(writer.bind(message.getData().toByteArray())), reply::ack);
        } catch (Exception e) {
          writer.failure.compareAndSet(null, e);
          reply.nack();
        }
      });
      try {
        return MirrorBenchmark.awaitCount("raw Pub/Sub → Astra DB", writer.written::get, n, start, writer.first,
            writer.failure);
      } finally {
        subscriber.stopAsync().awaitTerminated(30, TimeUnit.SECONDS);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  static List<String> args(LocalStack stack, String... extra) {
    return argsFor(stack, TABLE, extra);
  }

  static List<String> argsFor(LocalStack stack, String table, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "--runner=FlinkRunner", "--parallelism=2", "--checkpointingInterval=2000", "--attachedMode=false",
        "--mode=ingest", "--pulsarServiceUrl=" + stack.pulsarServiceUrlTls(),
        "--pulsarToken=file:" + stack.pulsarClientTokenFile(), "--pulsarTlsTrustCerts=" + stack.caCert(),
        "--pubsubRootUrl=http://" + stack.pubsubEmulatorHost(),
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--project=" + stack.pubsubProject(),
        "--cassandraContactPoints=" + stack.cassandraContactPoint().getHostString() + ":"
            + stack.cassandraContactPoint().getPort(),
        "--cassandraLocalDc=" + stack.cassandraLocalDc(), "--cassandraUsername=token",
        "--cassandraPassword=file:" + stack.astraTokenFile(), "--keyspace=" + stack.keyspace(), "--table=" + table,
        "--schema=DeviceTelemetry", "--payloadEncoding=single-object", "--deadLetter=log"));
    args.addAll(List.of(extra));
    String more = System.getProperty("ingest.args", "").trim(); // e.g. -Dingest.args="--maxBundleSize=500"
    if (!more.isEmpty()) {
      args.addAll(List.of(more.split("\\s+")));
    }
    return args;
  }

  static LongSupplier rowsWritten(LocalStack stack) {
    return rowsWritten(stack, TABLE);
  }

  static LongSupplier rowsWritten(LocalStack stack, String name) {
    String table = stack.keyspace() + "." + name;
    return () -> (long) Search.in(Metrics.globalRegistry).name("astradb.rows.written").tag("table", table)
        .counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /** Runs the ingest job until n more rows were written; the rate from the first. */
  static double bridge(LocalStack stack, long n, String... extra) throws Exception {
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args(stack, extra).toArray(String[]::new))
        .withValidation().as(BridgeOptions.class);
    LongSupplier total = rowsWritten(stack);
    long before = total.getAsLong();
    AtomicLong first = new AtomicLong();
    long start = System.nanoTime();
    PipelineResult job = BridgeMain.run(options);
    try {
      return MirrorBenchmark.awaitCount("ingest " + String.join(" ", extra).replaceAll("--pulsarTopics=\\S+ ", ""),
          () -> total.getAsLong() - before, n, start, first, null);
    } finally {
      cancel(job);
    }
  }

  static void cancel(PipelineResult job) {
    try {
      job.cancel();
    } catch (Exception e) {
      // the embedded cluster may be going down already
    }
  }

  /** p50/p99 publish → row at a steady rate. */
  static String latency(LocalStack stack, PulsarClient client, String run) throws Exception {
    int rate = Integer.getInteger("rate", 2000);
    int seconds = Integer.getInteger("seconds", 60);
    String topic = PulsarBenchmark.topic(stack, "ingest-latency-" + run);
    client.newConsumer().topic(topic).subscriptionName("latency").subscriptionType(SubscriptionType.Failover)
        .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe().close();
    BridgeOptions options = PipelineOptionsFactory.fromArgs(argsFor(stack, LATENCY_TABLE, "--source=pulsar",
        "--pulsarTopics=" + topic, "--pulsarSubscription=latency").toArray(String[]::new)).withValidation()
        .as(BridgeOptions.class);
    PipelineResult job = BridgeMain.run(options);
    LongSupplier total = rowsWritten(stack, LATENCY_TABLE);
    long before = total.getAsLong();
    String table = stack.keyspace() + "." + LATENCY_TABLE;
    try (Producer<byte[]> producer = client.newProducer().topic(topic).enableBatching(true)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS).create()) {
      Thread.sleep(15_000); // the job's start-up
      long start = System.nanoTime();
      long sent = 0;
      while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(seconds)) {
        long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
        for (; sent < due; sent++) {
          Instant now = Instant.now();
          producer.newMessage().key(run + "-lat-" + (sent % 100)).value(event(run + "-lat", sent, now))
              .eventTime(now.toEpochMilli()).sendAsync();
        }
        Thread.sleep(1);
      }
      producer.flush();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (total.getAsLong() - before < sent && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      long written = total.getAsLong() - before;
      Timer measured = Search.in(Metrics.globalRegistry).name("astradb.event.to.write").tag("table", table).timer();
      HistogramSnapshot snapshot = measured.takeSnapshot();
      StringBuilder out = new StringBuilder(String.format("Pulsar → Astra DB latency at %,d events/s for %d s"
          + " (%,d sent, %,d written; publish → row acknowledged, every row of the run)%n", rate, seconds, sent,
          written));
      for (ValueAtPercentile p : snapshot.percentileValues()) {
        out.append(String.format("  p%-4s %8.0f ms%n", trim(p.percentile() * 100), p.value(TimeUnit.MILLISECONDS)));
      }
      out.append(String.format("  max   %8.0f ms   (mean %.0f ms over %,d rows)%n", snapshot.max(TimeUnit.MILLISECONDS),
          snapshot.mean(TimeUnit.MILLISECONDS), snapshot.count()));
      return out.toString();
    } finally {
      cancel(job);
    }
  }

  static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  /** Heap after a full GC every 10 % of a long drain. */
  static String heap(LocalStack stack, PulsarClient client, String run) throws Exception {
    long n = Long.getLong("heap.events", 5_000_000L);
    String topic = PulsarBenchmark.topic(stack, "ingest-heap-" + run);
    preloadPulsar(client, topic, run + "h", n, "heap");
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args(stack, "--source=pulsar", "--pulsarTopics=" + topic,
        "--pulsarSubscription=heap").toArray(String[]::new)).withValidation().as(BridgeOptions.class);
    LongSupplier total = rowsWritten(stack);
    long before = total.getAsLong();
    long start = System.nanoTime();
    PipelineResult job = BridgeMain.run(options);
    StringBuilder out = new StringBuilder(String.format("Heap of the ingest job (default dedup by message id) over"
        + " %,d events (used after a full GC)%n", n));
    try {
      for (int tenth = 1; tenth <= 10; tenth++) {
        long target = n * tenth / 10;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (total.getAsLong() - before < target && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        System.gc();
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        String line = String.format("  %,11d events written after %5.0f s: heap %,5d MiB%n", total.getAsLong() - before,
            (System.nanoTime() - start) / 1e9, used >> 20);
        System.out.print(line);
        out.append(line);
      }
      return out.toString();
    } finally {
      cancel(job);
    }
  }

  private IngestBenchmark() {}
}
