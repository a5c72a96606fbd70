package dev.astrabridge.bench;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.bridge.mirror.MirrorHeaders;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * Mirror benchmark: N messages (default 200,000; -Dmessages=N) of 200 bytes with 3 properties/attributes, relayed
 * Pulsar → Pub/Sub and Pub/Sub → Pulsar from a backlog. In one run, per direction: a raw client relay (consumer →
 * publisher, the source message acknowledged only after the target acknowledged the publish, the same headers added)
 * and the mirror job (--mode=mirror on the embedded Flink runner, parallelism 2, checkpoints every 2 s, the
 * defaults: effectively-once into Pulsar). Prints msg/s and the mirror's ratio to the raw relay, per round
 * (-Drounds=N, default 3: a fresh backlog, then both relays, which goes first alternating) and the median ratio over
 * the rounds, after a warm-up round that is not counted (-Dwarmup=false skips it).
 *
 * <p>Rates are measured from the first message the target acknowledged to the last (the mirror job's start-up of a
 * few seconds is printed separately). The mirror counts through its own {@code mirror.published} meter (a message
 * counts once the target acknowledged it), the raw relay through its publish callbacks. Pub/Sub is Google's emulator
 * on the same 2 cores: it bounds both relays. Messages have no ordering key: keyed Pub/Sub → Pulsar messages wait to
 * be put in order by design (see Sequencer), which would measure that wait, not relaying.
 */
public final class MirrorBenchmark {
  static final int PAYLOAD = 200;

  public static void main(String[] args) throws Exception {
    long n = Long.getLong("messages", 200_000L);
    int rounds = Integer.getInteger("rounds", 3);
    LocalStack stack = LocalStack.get();
    Metrics.addRegistry(new SimpleMeterRegistry()); // the mirror's meters record into the global registry
    List<Map<String, Double>> toPubsub = new ArrayList<>();
    List<Map<String, Double>> toPulsar = new ArrayList<>();
    String direction = System.getProperty("direction", "both"); // or pulsar-to-pubsub, pubsub-to-pulsar
    try (PubsubTestClient pubsub = new PubsubTestClient(stack);
         PulsarClient pulsar = PulsarBenchmark.client(stack)) {
      // round 0 warms both relays up (JIT, connections, the emulator) and is not counted; measured rounds alternate
      // which relay goes first, so neither always gets the fresher machine
      int first = Boolean.parseBoolean(System.getProperty("warmup", "true")) ? 0 : 1;
      for (int round = first; round <= rounds; round++) {
        System.out.printf(round == 0 ? "warm-up round%n" : "round %d of %d%n", round, rounds);
        String run = UUID.randomUUID().toString().substring(0, 6);
        boolean mirrorFirst = round % 2 == 0;
        if (!direction.equals("pubsub-to-pulsar")) {
          Map<String, Double> rates = pulsarToPubsub(stack, pulsar, pubsub, run, n, mirrorFirst);
          if (round > 0) {
            toPubsub.add(rates);
          }
        }
        if (!direction.equals("pulsar-to-pubsub")) {
          Map<String, Double> rates = pubsubToPulsar(stack, pulsar, pubsub, run, n, mirrorFirst);
          if (round > 0) {
            toPulsar.add(rates);
          }
        }
      }
    }
    System.out.printf("%nMirror benchmark: %,d messages of %d bytes + 3 properties each way, %d round(s), pulsar+ssl"
        + " + token, Pub/Sub emulator%n", n, PAYLOAD, rounds);
    if (!toPubsub.isEmpty()) {
      printRounds("Pulsar → Pub/Sub", toPubsub);
    }
    if (!toPulsar.isEmpty()) {
      printRounds("Pub/Sub → Pulsar", toPulsar);
    }
    System.exit(0);
  }

  /** One round: one source topic read by two subscriptions (raw, mirror), two target topics. */
  static Map<String, Double> pulsarToPubsub(LocalStack stack, PulsarClient pulsar, PubsubTestClient pubsub, String run,
                                            long n, boolean mirrorFirst) throws Exception {
    String source = PulsarBenchmark.topic(stack, "mirror-src-" + run);
    String rawTarget = pubsub.createTopic("bench-raw-" + run);
    String mirrorTarget = pubsub.createTopic("bench-mirror-" + run);
    preloadPulsar(pulsar, source, n, "raw", "bench-mirror");
    double mirror = mirrorFirst ? mirror(stack, source + "->" + mirrorTarget, n, "--pulsarSubscription=bench-mirror") : 0;
    double raw = rawPulsarToPubsub(stack, pulsar, source, rawTarget, n);
    if (!mirrorFirst) {
      mirror = mirror(stack, source + "->" + mirrorTarget, n, "--pulsarSubscription=bench-mirror");
    }
    pubsub.delete(rawTarget);
    pubsub.delete(mirrorTarget);
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put(RAW_TO_PUBSUB, raw);
    rates.put("mirror on the Flink runner (checkpoints " + checkpointSeconds() + " s)"
        + (mirrorFirst ? ", ran first" : ""), mirror);
    return rates;
  }

  /** One round: one source topic with two subscriptions, two target topics (deduplication on). */
  static Map<String, Double> pubsubToPulsar(LocalStack stack, PulsarClient pulsar, PubsubTestClient pubsub, String run,
                                            long n, boolean mirrorFirst) throws Exception {
    String sourceTopic = pubsub.createTopic("bench-src-" + run, 600);
    pubsub.addSubscription(sourceTopic, "bench-src-raw-" + run, 600, false);
    pubsub.addSubscription(sourceTopic, "bench-src-mirror-" + run, 600, false);
    preloadPubsub(stack, sourceTopic, n);
    String rawPulsar = PulsarBenchmark.topic(stack, "mirror-raw-" + run);
    String mirrorPulsar = PulsarBenchmark.topic(stack, "mirror-dst-" + run);
    String route = pubsub.subscription("bench-src-mirror-" + run) + "->" + mirrorPulsar;
    double mirror = mirrorFirst ? mirror(stack, route, n, "--pulsarSubscription=unused") : 0;
    double raw = rawPubsubToPulsar(stack, pulsar, pubsub.subscription("bench-src-raw-" + run), rawPulsar, n);
    if (!mirrorFirst) {
      mirror = mirror(stack, route, n, "--pulsarSubscription=unused");
    }
    pubsub.delete(sourceTopic, pubsub.subscription("bench-src-raw-" + run), pubsub.subscription("bench-src-mirror-"
        + run));
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put(RAW_TO_PULSAR, raw);
    rates.put("mirror on the Flink runner (checkpoints " + checkpointSeconds() + " s, effectively-once)"
        + (mirrorFirst ? ", ran first" : ""), mirror);
    return rates;
  }

  static final String RAW_TO_PUBSUB = "raw relay: Pulsar consumer → Pub/Sub publisher, ack after publish";
  static final String RAW_TO_PULSAR = "raw relay: Pub/Sub subscriber → Pulsar producer, ack after send";

  static String checkpointSeconds() {
    return String.valueOf(Long.getLong("mirror.checkpointMs", 2000) / 1000.0).replaceAll("\\.0$", "");
  }

  /**
   * Each round's rates and ratio, then the median ratio: the raw relay and the mirror of one round run back to back
   * on the same backlog size, so a round's ratio compares like with like even when the shared machine's speed drifts
   * between rounds.
   */
  static void printRounds(String what, List<Map<String, Double>> rounds) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < rounds.size(); i++) {
      PulsarBenchmark.print(what + (rounds.size() > 1 ? " — round " + (i + 1) : ""), rounds.get(i));
      List<Double> rates = new ArrayList<>(rounds.get(i).values());
      ratios.add(rates.get(1) / rates.get(0));
    }
    double median = PulsarBenchmark.median(ratios);
    System.out.printf("%s: mirror/raw per round %s → median %.0f%%%n", what, ratios.stream()
        .map(r -> String.format("%.0f%%", 100 * r)).collect(java.util.stream.Collectors.joining(", ")), 100 * median);
  }

  static Map<String, String> properties(long i) {
    return Map.of("seq", Long.toString(i), "tenant", "t" + (i % 7), "kind", "bench");
  }

  /** n messages into the topic; the subscriptions are created first so both see the whole backlog. */
  static void preloadPulsar(PulsarClient client, String topic, long n, String... subscriptions) throws Exception {
    for (String s : subscriptions) {
      client.newConsumer().topic(topic).subscriptionName(s).subscriptionType(SubscriptionType.Failover)
          .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe().close();
    }
    try (Producer<byte[]> producer = client.newProducer().topic(topic).enableBatching(true)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS).maxPendingMessages(10_000).blockIfQueueFull(true).create()) {
      List<CompletableFuture<MessageId>> sends = new ArrayList<>();
      for (long i = 0; i < n; i++) {
        sends.add(producer.newMessage().value(PulsarBenchmark.payload(i)).properties(properties(i)).sendAsync());
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get();
    }
    System.out.printf("  preloaded %,d messages into %s%n", n, topic);
  }

  /** n messages into the Pub/Sub topic, 1,000 per Publish call. */
  static void preloadPubsub(LocalStack stack, String topic, long n) throws Exception {
    BenchPubsub.preload(stack, topic, n, i -> PubsubMessage.newBuilder()
        .setData(ByteString.copyFrom(PulsarBenchmark.payload(i))).putAllAttributes(properties(i)).build());
  }


  /** The raw Pulsar → Pub/Sub relay: receive, publish with the mirror's headers, ack once Pub/Sub acknowledged. */
  static double rawPulsarToPubsub(LocalStack stack, PulsarClient client, String source, String target, long n)
      throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext().build();
    Publisher publisher = Publisher.newBuilder(target)
        .setChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
        .setCredentialsProvider(NoCredentialsProvider.create())
        .setBatchingSettings(BatchingSettings.newBuilder().setElementCountThreshold(1000L)
            .setRequestByteThreshold(5_000_000L).setDelayThresholdDuration(java.time.Duration.ofMillis(5)).build())
        .build();
    AtomicLong acked = new AtomicLong();
    AtomicLong first = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Semaphore inFlight = new Semaphore(10_000);
    long start = System.nanoTime();
    if (TRACE) { // the loop below runs on this thread: progress from another one
      Thread tracer = new Thread(() -> {
        try {
          while (acked.get() < n) {
            Thread.sleep(250);
            System.out.printf("  ... raw: %,d of %,d at %.2f s%n", acked.get(), n, (System.nanoTime() - start) / 1e9);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      tracer.setDaemon(true);
      tracer.start();
    }
    try (Consumer<byte[]> consumer = client.newConsumer().topic(source).subscriptionName("raw")
        .subscriptionType(SubscriptionType.Failover).receiverQueueSize(1000).subscribe()) {
      for (long i = 0; i < n; i++) {
        Message<byte[]> m = consumer.receive(60, TimeUnit.SECONDS);
        if (m == null) {
          throw new IllegalStateException("raw relay: the consumer stalled after " + i);
        }
        Map<String, String> attributes = new HashMap<>(m.getProperties());
        attributes.put(MirrorHeaders.ORIGIN_ID, m.getMessageId().toString());
        attributes.put(MirrorHeaders.ORIGIN, "pulsar:" + m.getTopicName());
        attributes.put(MirrorHeaders.PATH, "raw");
        inFlight.acquire();
        ApiFuture<String> published = publisher.publish(PubsubMessage.newBuilder()
            .setData(ByteString.copyFrom(m.getData())).putAllAttributes(attributes).build());
        ApiFutures.addCallback(published, new ApiFutureCallback<String>() {
          @Override
          public void onSuccess(String id) {
            consumer.acknowledgeAsync(m.getMessageId());
            first.compareAndSet(0, System.nanoTime());
            acked.incrementAndGet();
            inFlight.release();
          }

          @Override
          public void onFailure(Throwable t) {
            failure.compareAndSet(null, t);
            inFlight.release();
          }
        }, MoreExecutors.directExecutor());
      }
      publisher.publishAllOutstanding();
      return awaitCount("raw Pulsar→Pub/Sub", acked::get, n, start, first, failure);
    } finally {
      publisher.shutdown();
      publisher.awaitTermination(30, TimeUnit.SECONDS);
      channel.shutdownNow();
    }
  }

  /** The raw Pub/Sub → Pulsar relay: a streaming-pull subscriber, send with the headers, ack once Pulsar stored it. */
  static double rawPubsubToPulsar(LocalStack stack, PulsarClient client, String subscription, String target, long n)
      throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext().build();
    AtomicLong acked = new AtomicLong();
    AtomicLong first = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (Producer<byte[]> producer = client.newProducer().topic(target).enableBatching(true)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS).maxPendingMessages(10_000).blockIfQueueFull(true).create()) {
      long start = System.nanoTime();
      Subscriber subscriber = BenchPubsub.subscribe(channel, subscription, (message, reply) -> {
            Map<String, String> properties = new HashMap<>(message.getAttributesMap());
            properties.put(MirrorHeaders.ORIGIN_ID, message.getMessageId());
            properties.put(MirrorHeaders.ORIGIN, "pubsub:" + subscription);
            properties.put(MirrorHeaders.PATH, "raw");
            producer.newMessage().value(message.getData().toByteArray()).properties(properties).sendAsync()
                .whenComplete((id, e) -> {
                  if (e != null) {
                    failure.compareAndSet(null, e);
                    reply.nack();
                    return;
                  }
                  reply.ack();
                  first.compareAndSet(0, System.nanoTime());
                  acked.incrementAndGet();
                });
          });
      try {
        return awaitCount("raw Pub/Sub→Pulsar", acked::get, n, start, first, failure);
      } finally {
        subscriber.stopAsync().awaitTerminated(30, TimeUnit.SECONDS);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** Runs the mirror job with one route until its target acknowledged n messages; the rate from the first. */
  static double mirror(LocalStack stack, String route, long n, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of(
        "--runner=FlinkRunner", "--parallelism=2", "--attachedMode=false",
        "--checkpointingInterval=" + Long.getLong("mirror.checkpointMs", 2000), "--mode=mirror", "--bridgeId=bench", "--mirrorRoutes=" + route,
        "--pulsarServiceUrl=" + stack.pulsarServiceUrlTls(), "--pulsarAdminUrl=" + stack.pulsarAdminUrl(),
        "--pulsarToken=file:" + stack.pulsarClientTokenFile(), "--pulsarTlsTrustCerts=" + stack.caCert(),
        "--pubsubRootUrl=http://" + stack.pubsubEmulatorHost(),
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--project=" + stack.pubsubProject(), "--deadLetter=log"));
    args.addAll(List.of(extra));
    String more = System.getProperty("mirror.args", "").trim(); // e.g. -Dmirror.args="--maxBundleSize=5000"
    if (!more.isEmpty()) {
      args.addAll(List.of(more.split("\\s+")));
    }
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation()
        .as(BridgeOptions.class);
    LongSupplier published = () -> (long) Search.in(Metrics.globalRegistry).name("mirror.published")
        .tag("route", route).counters().stream().mapToDouble(c -> c.count()).sum();
    AtomicLong first = new AtomicLong();
    long start = System.nanoTime();
    PipelineResult job = BridgeMain.run(options);
    try {
      return awaitCount("mirror " + route.substring(route.lastIndexOf('/') + 1), published, n, start, first, null);
    } finally {
      try {
        job.cancel();
      } catch (Exception e) {
        // the embedded cluster may be going down already
      }
      PulsarBenchmark.settle();
    }
  }

  /**
   * Waits until {@code count} reaches n (10 minutes at most) and returns the rate from the first acknowledged
   * message; {@code first} is set here when the caller does not set it.
   */
  /** -Dtrace=true: progress every 250 ms instead of every 10 s (to see ramp-up and stalls). */
  static final boolean TRACE = Boolean.getBoolean("trace");

  static double awaitCount(String what, LongSupplier count, long n, long start, AtomicLong first,
                           AtomicReference<Throwable> failure) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    long lastReport = System.nanoTime();
    while (count.getAsLong() < n && System.nanoTime() < deadline) {
      if (failure != null && failure.get() != null) {
        throw new IllegalStateException(what + " failed", failure.get());
      }
      Thread.sleep(5);
      if (first.get() == 0 && count.getAsLong() > 0) {
        first.compareAndSet(0, System.nanoTime());
      }
      if (System.nanoTime() - lastReport > (TRACE ? TimeUnit.MILLISECONDS.toNanos(250) : TimeUnit.SECONDS.toNanos(10))) {
        System.out.printf("  ... %s: %,d of %,d at %.2f s%n", what, count.getAsLong(), n, (System.nanoTime() - start) / 1e9);
        lastReport = System.nanoTime();
      }
    }
    long end = System.nanoTime();
    if (count.getAsLong() < n) {
      throw new IllegalStateException(what + ": only " + count.getAsLong() + " of " + n + " in 10 minutes");
    }
    System.out.printf("  %-34s %,d in %6.1f s (first after %4.1f s) = %,9.0f msg/s from the first%n", what, n,
        (end - start) / 1e9, (first.get() - start) / 1e9, n / ((end - first.get()) / 1e9));
    return n / ((end - first.get()) / 1e9);
  }

  private MirrorBenchmark() {}
}
