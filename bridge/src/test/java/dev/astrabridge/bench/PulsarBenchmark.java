package dev.astrabridge.bench;

import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.bridge.pulsar.PulsarConnection;
import dev.astrabridge.bridge.pulsar.PulsarMessage;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.nio.ByteBuffer;
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
 * DirectRunner. Prints msg/s and each transform's ratio to the raw client.
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
    String run = UUID.randomUUID().toString().substring(0, 6);
    Map<String, Double> produce = new LinkedHashMap<>();
    Map<String, Double> consume = new LinkedHashMap<>();

    String rawTopic = topic(stack, "raw-" + run);
    produce.put("raw pulsar-client producer (async, batching 1 ms)", rawProduce(stack, rawTopic, n));
    consume.put("raw pulsar-client consumer (receive + ack)", rawConsume(stack, rawTopic, n));

    String flinkTopic = topic(stack, "flink-" + run);
    produce.put("AstraStreamingIO.write on the Flink runner", write(connection, flinkTopic, n, true));
    consume.put("AstraStreamingIO.read on the Flink runner (checkpoints 1 s)", read(connection, flinkTopic, n, true));

    String directTopic = topic(stack, "direct-" + run);
    produce.put("AstraStreamingIO.write on the DirectRunner", write(connection, directTopic, n, false));
    consume.put("AstraStreamingIO.read on the DirectRunner", read(connection, directTopic, n, false));

    System.out.printf("%nPulsar benchmark: %,d messages of %d bytes, pulsar+ssl + token, 2 partitions%n", n, PAYLOAD);
    print("produce", produce);
    print("consume", consume);
    System.exit(0);
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
      long start = System.nanoTime();
      for (long i = 0; i < n; i++) {
        producer.newMessage().key(Long.toString(i % 1000)).value(payload(i)).sendAsync().whenComplete((id, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
          done.release();
        });
      }
      producer.flush();
      done.acquire((int) n);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (failure.get() != null) {
        throw new IllegalStateException(failure.get());
      }
      return report("raw produce", n, seconds);
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
      o.setParallelism(2);
      o.setFasterCopy(true);
      o.setStreaming(streaming);
      o.setMaxBundleSize(100_000L);
      if (streaming) {
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
        out.output(BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(payload(i))).setKey(Long.toString(i % 1000))
            .setOrderingKey(null).setAttributes(Map.of()).setMessageId(null).setEventTime(null).setPublishTime(null)
            .setSource(null).build());
      }
    }
  }

  static double write(PulsarConnection connection, String topic, long n, boolean flink) {
    Pipeline pipeline = Pipeline.create(options(flink, false));
    pipeline.apply(GenerateSequence.from(0).to((n + 999) / 1000)).apply(ParDo.of(new ToEnvelopes(n)))
        .setCoder(AvroCoder.of(BridgeMessage.class))
        .apply(AstraStreamingIO.write().withConnection(connection).withTopic(topic));
    FIRST.set(0);
    long start = System.nanoTime();
    pipeline.run().waitUntilFinish();
    long end = System.nanoTime();
    report((flink ? "flink" : "direct") + " write", n, (end - start) / 1e9);
    return report("  (from 1st)", n, (end - FIRST.get()) / 1e9);
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
    if (read < n) {
      throw new IllegalStateException((flink ? "flink" : "direct") + " read only " + read + " of " + n);
    }
    report((flink ? "flink" : "direct") + " read", n, seconds);
    return report("  (from 1st)", n, (end - FIRST.get()) / 1e9);
  }

  static double report(String what, long n, double seconds) {
    System.out.printf("  %-14s %,10d messages in %6.1f s = %,9.0f msg/s%n", what, n, seconds, n / seconds);
    return n / seconds;
  }

  private PulsarBenchmark() {}
}
