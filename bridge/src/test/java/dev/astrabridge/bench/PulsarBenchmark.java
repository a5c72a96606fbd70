package dev.astrabridge.bench;

import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.bridge.pulsar.PulsarConnection;
import dev.astrabridge.bridge.pulsar.PulsarMessage;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/**
 * Pulsar benchmark: N messages of 200 bytes (default 1,000,000; -Dmessages=N) over pulsar+ssl with a token, on a
 * 2-partition topic. In one run: raw pulsar-client produce (async, batching 1 ms) and consume (receive + ack); then
 * AstraStreamingIO.write (bounded pipeline) and AstraStreamingIO.read (streaming pipeline, Failover subscription;
 * on Flink with checkpointing every second, so acknowledgements happen) on the embedded Flink runner and on the
 * DirectRunner (reference, last round only; -DskipDirect=true skips it). Prints msg/s and each transform's ratio to
 * the raw client per round (-Drounds=N, default 3; raw and Flink alternate going first) and the median ratios, after
 * a warm-up round of a quarter of the messages that is not counted (-Dwarmup=false skips it). The
 * write rates (raw and transforms) run from the first to the n-th acknowledgement by the broker (the transform's own
 * meter counts them), so neither pays for connecting; the job's start and shutdown are printed apart.
 */
public final class PulsarBenchmark {
  static final int PAYLOAD = 200;
  static final AtomicLong READ = new AtomicLong();
  /** When the pipeline handled its first element (nanoTime): rates exclude runner start-up. */
  static final AtomicLong FIRST = new AtomicLong();

  public static void main(String[] args) throws Exception {
    long n = Long.getLong("messages", 1_000_000L);
    LocalStack stack = LocalStack.get();
    PulsarConnection connection = PulsarConnection.of(stack.pulsarServiceUrlTls())
        .withToken(SecretRef.file(stack.pulsarClientTokenFile().toString()))
        .withTlsTrustCertsFile(stack.caCert().toString());
    int rounds = Integer.getInteger("rounds", 3);
    List<Map<String, Double>> produceRounds = new ArrayList<>();
    List<Map<String, Double>> consumeRounds = new ArrayList<>();
    // round 0 warms up the JIT of both sides (the raw producer went from ~300k msg/s in its first run to 500k-900k
    // later, the Flink path has far more code to compile) with a quarter of the messages; it is not counted
    int first = Boolean.parseBoolean(System.getProperty("warmup", "true")) ? 0 : 1;
    for (int round = first; round <= rounds; round++) {
      // which goes first alternates, so neither always gets the fresher (or the more loaded) machine
      boolean flinkFirst = round % 2 == 0;
      long messages = round == 0 ? Math.max(10_000, n / 4) : n;
      System.out.printf(round == 0 ? "warm-up round, %,d messages (not counted)%n" : "round %2$d of %3$d%4$s%n",
          messages, round, rounds, flinkFirst ? " (Flink first)" : "");
      String run = UUID.randomUUID().toString().substring(0, 6);
      String rawTopic = topic(stack, "raw-" + run);
      String flinkTopic = topic(stack, "flink-" + run);
      Map<String, Double> produce = new LinkedHashMap<>();
      Map<String, Double> consume = new LinkedHashMap<>();
      double flinkWrite = 0;
      double flinkRead = 0;
      if (flinkFirst) {
        flinkWrite = write(connection, flinkTopic, messages, true);
        flinkRead = read(connection, flinkTopic, messages, true);
      }
      produce.put(RAW_PRODUCE, rawProduce(stack, rawTopic, messages));
      consume.put(RAW_CONSUME, rawConsume(stack, rawTopic, messages));
      if (!flinkFirst) {
        flinkWrite = write(connection, flinkTopic, messages, true);
        flinkRead = read(connection, flinkTopic, messages, true);
      }
      produce.put(FLINK_WRITE, flinkWrite);
      consume.put(FLINK_READ, flinkRead);
      if (round == rounds && !Boolean.getBoolean("skipDirect")) {
        String directTopic = topic(stack, "direct-" + run);
        produce.put("AstraStreamingIO.write on the DirectRunner (reference)", write(connection, directTopic, messages, false));
        consume.put("AstraStreamingIO.read on the DirectRunner (reference)", read(connection, directTopic, messages, false));
      }
      if (round > 0) {
        produceRounds.add(produce);
        consumeRounds.add(consume);
      }
    }

    System.out.printf("%nPulsar benchmark: %,d messages of %d bytes, pulsar+ssl + token, 2 partitions, %d round(s)%n",
        n, PAYLOAD, rounds);
    for (int i = 0; i < rounds; i++) {
      print("produce, round " + (i + 1), produceRounds.get(i));
      print("consume, round " + (i + 1), consumeRounds.get(i));
    }
    System.out.printf("median of the rounds' ratios: Flink write %.0f%%, Flink read %.0f%% of the raw client%n",
        100 * medianRatio(produceRounds, FLINK_WRITE, RAW_PRODUCE),
        100 * medianRatio(consumeRounds, FLINK_READ, RAW_CONSUME));
    System.exit(0);
  }

  /** A pause after a streaming job's cancel: its shutdown (tasks, consumers, cluster) is not the next phase's load. */
  static void settle() throws InterruptedException {
    Thread.sleep(Long.getLong("settleMs", 5000));
  }

  static final String RAW_PRODUCE = "raw pulsar-client producer (async, batching 1 ms)";
  static final String RAW_CONSUME = "raw pulsar-client consumer (receive + ack)";
  static final String FLINK_WRITE = "AstraStreamingIO.write on the Flink runner";
  static final String FLINK_READ = "AstraStreamingIO.read on the Flink runner (checkpoints 1 s)";

  static double medianRatio(List<Map<String, Double>> rounds, String what, String raw) {
    List<Double> ratios = new ArrayList<>();
    for (Map<String, Double> r : rounds) {
      ratios.add(r.get(what) / r.get(raw));
    }
    return median(ratios);
  }

  /** The median of the values (the mean of the middle two for an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int k = sorted.size();
    return k % 2 == 1 ? sorted.get(k / 2) : (sorted.get(k / 2 - 1) + sorted.get(k / 2)) / 2;
  }

  /** How many messages the write to this topic has seen acknowledged (its default meter, all workers of the JVM). */
  static double acknowledged(String topic) {
    return io.micrometer.core.instrument.search.Search.in(io.micrometer.core.instrument.Metrics.globalRegistry)
        .name("pulsar.published").tag("topic", topic).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  static void print(String what, Map<String, Double> rates) {
    double raw = rates.values().iterator().next();
    System.out.printf("%-62s %12s %8s%n", what, "msg/s", "vs raw");
    rates.forEach((name, rate) -> System.out.printf("  %-60s %,12.0f %7.0f%%%n", name, rate, 100 * rate / raw));
  }

  static String topic(LocalStack stack, String name) {
    String topic = stack.pulsarTopic("mirror", "bench-" + name);
    stack.createPartitionedTopic(topic, 2);
    return topic;
  }

  static PulsarClient client(LocalStack stack) throws Exception {
    return dev.astrabridge.bridge.pulsar.PulsarTestSupport.client(stack);
  }

  static byte[] payload(long i) {
    byte[] bytes = new byte[PAYLOAD];
    new Random(i).nextBytes(bytes);
    return bytes;
  }

  static double rawProduce(LocalStack stack, String topic, long n) throws Exception {
    try (PulsarClient client = client(stack);
         Producer<byte[]> producer = client.newProducer().topic(topic).enableBatching(true)
             .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS).batchingMaxMessages(1000).maxPendingMessages(10_000)
             .blockIfQueueFull(true).create()) {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Semaphore done = new Semaphore(0);
      AtomicLong firstAck = new AtomicLong();
      long start = System.nanoTime();
      for (long i = 0; i < n; i++) {
        producer.newMessage().key(Long.toString(i % 1000)).value(payload(i)).sendAsync().whenComplete((id, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
          firstAck.compareAndSet(0, System.nanoTime());
          done.release();
        });
      }
      producer.flush();
      done.acquire((int) n);
      long end = System.nanoTime();
      if (failure.get() != null) {
        throw new IllegalStateException(failure.get());
      }
      report("raw produce, from the first send", n, (end - start) / 1e9);
      return report("  (1st → n-th acknowledgement)", n, (end - firstAck.get()) / 1e9);
    }
  }

  static double rawConsume(LocalStack stack, String topic, long n) throws Exception {
    try (PulsarClient client = client(stack);
         Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("raw")
             .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(1000).subscribe()) {
      long start = System.nanoTime();
      long count = 0;
      while (count < n) {
        Message<byte[]> m = consumer.receive(30, TimeUnit.SECONDS);
        if (m == null) {
          throw new IllegalStateException("raw consumer stalled at " + count);
        }
        consumer.acknowledgeAsync(m.getMessageId());
        count++;
      }
      return report("raw consume", n, (System.nanoTime() - start) / 1e9);
    }
  }

  static PipelineOptions options(boolean flink, boolean streaming) {
    if (flink) {
      FlinkPipelineOptions o = PipelineOptionsFactory.create().as(FlinkPipelineOptions.class);
      o.setRunner(FlinkRunner.class);
      o.setParallelism(Integer.getInteger("flink.parallelism", 2));
      o.setFasterCopy(true);
      o.setStreaming(streaming);
      o.setMaxBundleSize(100_000L);
      if (streaming) {
        o.setDisableMetrics(true); // as BridgeMain runs streaming jobs on Flink (--flinkBeamMetrics=false)
        o.setCheckpointingInterval(1000L);
        o.setAttachedMode(false); // run() returns at once (attached, it blocks until a streaming job ends)
      }
      return o;
    }
    DirectOptions o = PipelineOptionsFactory.create().as(DirectOptions.class);
    o.setRunner(DirectRunner.class);
    o.setTargetParallelism(2);
    o.setEnforceImmutability(false);
    o.setEnforceEncodability(false);
    o.setBlockOnRun(false);
    return o;
  }

  /** Block b → envelopes b*1000 .. b*1000+999 with 200-byte payloads (the source emits one element per block). */
  static final class ToEnvelopes extends DoFn<Long, BridgeMessage> {
    private final long n;

    ToEnvelopes(long n) {
      this.n = n;
    }

    @ProcessElement
    public void process(@Element Long block, OutputReceiver<BridgeMessage> out) {
      FIRST.compareAndSet(0, System.nanoTime());
      for (long i = block * 1000; i < Math.min(n, (block + 1) * 1000); i++) {
        // the all-arguments constructor, as the bridge builds envelopes: the Avro builder deep-copies every unset
        // field's default, work the raw producer's loop (payload + key only) does not do
        out.output(new BridgeMessage(ByteBuffer.wrap(payload(i)), Long.toString(i % 1000), null, Map.of(), null, null,
            null, null, null, null, false));
      }
    }
  }

  static double write(PulsarConnection connection, String topic, long n, boolean flink) throws InterruptedException {
    Pipeline pipeline = Pipeline.create(options(flink, false));
    pipeline.apply(GenerateSequence.from(0).to((n + 999) / 1000)).apply(ParDo.of(new ToEnvelopes(n)))
        .setCoder(AvroCoder.of(BridgeMessage.class))
        .apply(AstraStreamingIO.write().withConnection(connection).withTopic(topic));
    FIRST.set(0);
    // done when the broker acknowledged the n-th message (the write's own meter, counted on acknowledgement), as the
    // raw producer's rate is: the job's shutdown after that is not writing
    if (io.micrometer.core.instrument.Metrics.globalRegistry.getRegistries().isEmpty()) {
      io.micrometer.core.instrument.Metrics.addRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }
    AtomicLong acked = new AtomicLong();
    AtomicLong firstAck = new AtomicLong();
    Thread watcher = new Thread(() -> {
      while (acked.get() == 0 && !Thread.currentThread().isInterrupted()) {
        double count = acknowledged(topic);
        if (count > 0) {
          firstAck.compareAndSet(0, System.nanoTime());
        }
        if (count >= n) {
          acked.set(System.nanoTime());
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    watcher.setDaemon(true);
    watcher.start();
    long start = System.nanoTime();
    pipeline.run().waitUntilFinish();
    long end = System.nanoTime();
    watcher.interrupt();
    watcher.join();
    if (acked.get() == 0 && acknowledged(topic) >= n) {
      acked.set(end); // reached between the watcher's last look and the job's end
    }
    report((flink ? "flink" : "direct") + " write, until the job ended", n, (end - start) / 1e9);
    if (acked.get() == 0) {
      throw new IllegalStateException("the write's meter never reached " + n);
    }
    report("  (1st element → n-th acknowledgement)", n, (acked.get() - FIRST.get()) / 1e9);
    // like the raw producer's rate: from the first acknowledgement, so connecting (a new client and producers per
    // job; the raw producer connects before its clock starts) is not counted
    return report("  (1st → n-th acknowledgement)", n, (acked.get() - firstAck.get()) / 1e9);
  }

  /** Counts what the read emits (embedded runners: same JVM). */
  static final class Count extends DoFn<PulsarMessage, Void> {
    @ProcessElement
    public void process(@Element PulsarMessage m) {
      FIRST.compareAndSet(0, System.nanoTime());
      READ.incrementAndGet();
    }
  }

  static double read(PulsarConnection connection, String topic, long n, boolean flink) throws Exception {
    READ.set(0);
    FIRST.set(0);
    Pipeline pipeline = Pipeline.create(options(flink, true));
    pipeline.apply(AstraStreamingIO.read().withConnection(connection).withTopics(List.of(topic))
            .withSubscription("bench").withStartFromEarliest(true))
        .apply(ParDo.of(new Count()));
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    long lastReport = System.nanoTime();
    while (READ.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
      if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(10)) {
        System.out.printf("  ... %,d read%n", READ.get());
        lastReport = System.nanoTime();
      }
    }
    long end = System.nanoTime();
    double seconds = (end - start) / 1e9;
    long read = READ.get();
    try {
      result.cancel();
    } catch (Exception e) {
      // the embedded Flink cluster may already be shutting down
    }
    settle();
    if (read < n) {
      throw new IllegalStateException((flink ? "flink" : "direct") + " read only " + read + " of " + n);
    }
    report((flink ? "flink" : "direct") + " read", n, seconds);
    return report("  (from 1st)", n, (end - FIRST.get()) / 1e9);
  }

  static double report(String what, long n, double seconds) {
    System.out.printf("  %-40s %,10d messages in %6.1f s = %,9.0f msg/s%n", what, n, seconds, n / seconds);
    return n / seconds;
  }

  private PulsarBenchmark() {}
}
