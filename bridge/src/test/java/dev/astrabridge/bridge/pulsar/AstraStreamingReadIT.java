package dev.astrabridge.bridge.pulsar;

import static dev.astrabridge.bridge.pulsar.PulsarTestSupport.awaitCollected;
import static dev.astrabridge.bridge.pulsar.PulsarTestSupport.collect;
import static dev.astrabridge.bridge.pulsar.PulsarTestSupport.collected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** AstraStreamingIO.read() against the real broker (JWT + TLS, hostname verification on). */
@ExtendWith(LocalStackExtension.class)
class AstraStreamingReadIT {

  @AfterEach
  void closeConsumers() {
    PulsarConsumers.closeAll();
  }

  private static AstraStreamingIO.Read read(LocalStack stack, String topic, String subscription) {
    return AstraStreamingIO.read().withConnection(PulsarTestSupport.connection(stack)).withTopics(List.of(topic))
        .withSubscription(subscription).withStartFromEarliest(true);
  }

  private static List<MessageId> produce(PulsarClient client, String topic, int n, boolean batching) throws Exception {
    try (Producer<byte[]> producer = client.newProducer().topic(topic).enableBatching(batching)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS).batchingMaxMessages(100).create()) {
      List<CompletableFuture<MessageId>> sends = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sends.add(producer.newMessage().key("k" + (i % 17)).property("i", Integer.toString(i))
            .value(("m" + i).getBytes(StandardCharsets.UTF_8)).sendAsync());
      }
      producer.flush();
      List<MessageId> ids = new ArrayList<>();
      for (CompletableFuture<MessageId> f : sends) {
        ids.add(f.get(30, TimeUnit.SECONDS));
      }
      return ids;
    }
  }

  @Test
  void readsEveryMessageOfAThreePartitionTopicExactlyOnce(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "ingest", "read3");
    stack.createPartitionedTopic(topic, 3);
    int n = 3000;
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      produce(client, topic, n, false);
    }
    Pipeline pipeline = PulsarTestSupport.streamingPipeline();
    collect(pipeline.apply(read(stack, topic, "exact")), "exact");
    PipelineResult result = pipeline.run();
    int got = awaitCollected("exact", n, 60);
    Thread.sleep(2000); // anything extra would show up now
    result.cancel();

    List<PulsarMessage> messages = collected("exact");
    Set<String> values = new HashSet<>();
    Set<Integer> partitions = new HashSet<>();
    for (PulsarMessage m : messages) {
      values.add(new String(m.value(), StandardCharsets.UTF_8));
      partitions.add(m.partition());
      assertThat(m.properties()).containsKey("i");
      assertThat(m.key()).startsWith("k");
      assertThat(m.publishTime()).isPositive();
    }
    assertThat(got).isEqualTo(n);
    assertThat(messages).hasSize(n);
    assertThat(values).hasSize(n);
    assertThat(partitions).containsExactlyInAnyOrder(0, 1, 2);
  }

  @Test
  void messagesReadButNotFinalizedAreRedeliveredAfterACrashAndFinalizedOnesAreNot(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "ingest", "crash");
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      produce(client, topic, 100, false);
    }
    var options = PipelineOptionsFactory.create();
    PulsarUnboundedSource split = new PulsarUnboundedSource(read(stack, topic, "crash"), null, 0).split(1, options).get(0);

    // a reader emits 40 messages, whose checkpoint is finalized, then 30 more, whose checkpoint never is
    PulsarUnboundedReader first = split.createReader(options, null);
    List<String> firstRead = readN(first, 40);
    PulsarCheckpointMark committed = first.getCheckpointMark();
    committed.finalizeCheckpoint();
    List<String> uncommitted = readN(first, 30);
    first.getCheckpointMark(); // taken, never finalized
    Thread.sleep(1000); // let the grouped acknowledgements reach the broker
    PulsarConsumers.closeAll(); // the worker dies: its consumer goes away without further acks

    // a new reader of the same subscription gets exactly the unacknowledged 60: the 30 emitted-but-uncommitted
    // ones again and the 30 never read; none of the 40 committed ones
    PulsarUnboundedReader second = split.createReader(options, null);
    List<String> secondRead = readAll(second, 3000);
    second.close();

    assertThat(firstRead).hasSize(40);
    assertThat(secondRead).hasSize(60).doesNotContainAnyElementsOf(firstRead).containsAll(uncommitted);
    List<String> all = new ArrayList<>(firstRead);
    all.addAll(secondRead);
    assertThat(new HashSet<>(all)).hasSize(100);
  }

  @Test
  void batchedProducersAreReadCorrectly(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "ingest", "batched");
    int n = 2000;
    List<MessageId> produced;
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      produced = produce(client, topic, n, true);
    }
    Pipeline pipeline = PulsarTestSupport.streamingPipeline();
    collect(pipeline.apply(read(stack, topic, "batched")), "batched");
    PipelineResult result = pipeline.run();
    awaitCollected("batched", n, 60);
    Thread.sleep(1500);
    result.cancel();
    List<PulsarMessage> messages = collected("batched");
    assertThat(messages).hasSize(n);
    assertThat(messages).extracting(m -> new String(m.value(), StandardCharsets.UTF_8)).doesNotHaveDuplicates();
    assertThat(messages).filteredOn(m -> m.batchIndex() > 0).as("messages inside batch entries").isNotEmpty();
    Set<Long> sequences = new HashSet<>();
    for (PulsarMessage m : messages) {
      sequences.add(PulsarPositions.sequence(AstraStreamingIO.toBridgeMessage(m)));
    }
    assertThat(sequences).as("positions distinct within batches too").hasSize(n);
    Set<String> derived = new HashSet<>();
    for (PulsarMessage m : messages) {
      derived.add(MessageId.fromByteArray(m.messageId()).toString());
    }
    Set<String> assigned = new HashSet<>();
    produced.forEach(id -> assigned.add(id.toString()));
    assertThat(derived).as("message ids derived from the position equal the broker's").isEqualTo(assigned);
  }

  @Test
  void watermarkFollowsEventTimeAndAnIdlePartitionDoesNotHoldItBack(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "ingest", "watermark");
    stack.createPartitionedTopic(topic, 3);
    Instant eventTime = Instant.now().minus(Duration.standardHours(1));
    try (PulsarClient client = PulsarTestSupport.client(stack);
         Producer<byte[]> producer = client.newProducer().topic(topic + "-partition-0").create()) {
      for (int i = 0; i < 10; i++) {
        producer.newMessage().eventTime(eventTime.getMillis() + i).value(new byte[] {(byte) i}).send();
      }
    }
    var options = PipelineOptionsFactory.create();
    List<PulsarUnboundedSource> splits = new PulsarUnboundedSource(read(stack, topic, "wm")
        .withIdleTimeout(Duration.standardSeconds(2)), null, 0).split(3, options);
    assertThat(splits).hasSize(3);
    List<PulsarUnboundedReader> readers = new ArrayList<>();
    for (PulsarUnboundedSource s : splits) {
      readers.add(s.createReader(options, null));
    }
    PulsarUnboundedReader busy = null;
    for (PulsarUnboundedReader r : readers) {
      boolean any = r.start();
      if (s(r).endsWith("-partition-0")) {
        busy = r;
        List<String> read = readAll(r, 1500, any);
        assertThat(read).hasSize(10);
      }
    }
    assertThat(busy.getWatermark()).isEqualTo(eventTime.plus(9));
    PulsarUnboundedReader idle = readers.stream().filter(r -> !s(r).endsWith("-partition-0")).findFirst().orElseThrow();
    Thread.sleep(2500);
    assertThat(idle.advance()).isFalse();
    Instant idleWatermark = idle.getWatermark();
    assertThat(idleWatermark).as("an idle partition's watermark follows the clock")
        .isBetween(Instant.now().minus(Duration.standardSeconds(10)), Instant.now());
    assertThat(busy.getWatermark()).as("idle too by now: it moves on, never back")
        .isGreaterThanOrEqualTo(eventTime.plus(9));
    for (PulsarUnboundedReader r : readers) {
      r.close();
    }
    assertThat(BoundedWindow.TIMESTAMP_MIN_VALUE).isLessThan(idleWatermark);
  }

  private static String s(PulsarUnboundedReader reader) {
    return reader.getCurrentSource().assigned().get(0);
  }

  @Test
  void refusedTokensFailTheJobAtStartWithAClearError(LocalStack stack) {
    String topic = stack.pulsarTopic("ingest", "telemetry");
    Pipeline foreign = PulsarTestSupport.batchPipeline();
    foreign.apply(AstraStreamingIO.read().withConnection(PulsarTestSupport.connection(stack)
            .withToken(SecretRef.file(stack.pulsarForeignTokenFile().toString())))
        .withTopics(List.of(topic)).withSubscription("foreign").withMaxNumRecords(1));
    long start = System.nanoTime();
    assertThatThrownBy(() -> foreign.run().waitUntilFinish())
        .hasStackTraceContaining("refused the token file:" + stack.pulsarForeignTokenFile())
        .hasStackTraceContaining("--pulsarToken")
        .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(java.nio.file.Files.readString(stack.pulsarForeignTokenFile()).trim()));
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).as("fails fast, no retry storm").isLessThan(30);

    Pipeline outsider = PulsarTestSupport.batchPipeline();
    outsider.apply(AstraStreamingIO.read().withConnection(PulsarTestSupport.connection(stack)
            .withToken(SecretRef.file(stack.pulsarOutsiderTokenFile().toString())))
        .withTopics(List.of(topic)).withSubscription("outsider").withMaxNumRecords(1));
    assertThatThrownBy(() -> outsider.run().waitUntilFinish())
        .hasStackTraceContaining("its role may not consume " + topic);
  }

  @Test
  void splittingOnWorkersAsksNothingOfPulsarAndGivesEachPartitionToOneReader(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "ingest", "on-workers");
    stack.createPartitionedTopic(topic, 3);
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      produce(client, topic, 900, false);
    }
    var options = PipelineOptionsFactory.create();
    // where Dataflow splits (the launcher) the broker may be unreachable: a split that asked it would fail here
    AstraStreamingIO.Read unreachable = AstraStreamingIO.read()
        .withConnection(PulsarConnection.of("pulsar+ssl://broker.acme.invalid:6651")).withTopics(List.of(topic))
        .withSubscription("on-workers").withSplitOnWorkers(true);
    assertThat(new PulsarUnboundedSource(unreachable, null, 0).split(4, options)).hasSize(4);

    // on the workers: 4 readers for 3 partitions, each partition read by exactly one of them, one reader idle
    List<PulsarUnboundedSource> splits = new PulsarUnboundedSource(read(stack, topic, "on-workers")
        .withSplitOnWorkers(true), null, 0).split(4, options);
    List<String> values = new ArrayList<>();
    List<Set<Integer>> partitionsPerReader = new ArrayList<>();
    for (PulsarUnboundedSource split : splits) {
      PulsarUnboundedReader reader = split.createReader(options, null);
      Set<Integer> partitions = new HashSet<>();
      for (PulsarMessage m : readMessages(reader, 3000)) {
        values.add(new String(m.value(), StandardCharsets.UTF_8));
        partitions.add(m.partition());
      }
      reader.close();
      partitionsPerReader.add(partitions);
    }
    assertThat(values).hasSize(900).doesNotHaveDuplicates();
    assertThat(partitionsPerReader).containsExactly(Set.of(0), Set.of(1), Set.of(2), Set.of());
  }

  @Test
  void aKeySharedSubscriptionGivesEachKeyToOneReaderAndEveryMessageOnce(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "ingest", "key-shared");
    stack.createPartitionedTopic(topic, 2);
    var options = PipelineOptionsFactory.create();
    List<PulsarUnboundedSource> splits = new PulsarUnboundedSource(read(stack, topic, "key-shared")
        .withSubscriptionType(org.apache.pulsar.client.api.SubscriptionType.Key_Shared).withReaders(2), null, 0)
        .split(1, options);
    assertThat(splits).hasSize(2);
    // both consumers join before anything is published, so the broker spreads the keys over them
    List<PulsarUnboundedReader> readers = new ArrayList<>();
    for (PulsarUnboundedSource split : splits) {
      PulsarUnboundedReader reader = split.createReader(options, null);
      assertThat(reader.start()).isFalse();
      readers.add(reader);
    }
    int n = 2000;
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      // unbatched (or BatcherBuilder.KEY_BASED): the broker dispatches a batch by its first key, so a default
      // batch of mixed keys would reach one reader whole (measured: both readers then saw all 17 keys)
      produce(client, topic, n, false);
    }
    List<List<PulsarMessage>> got = List.of(new ArrayList<>(), new ArrayList<>());
    long quietSince = System.currentTimeMillis();
    while (System.currentTimeMillis() - quietSince < 3000) {
      for (int r = 0; r < 2; r++) {
        if (readers.get(r).advance()) {
          got.get(r).add(readers.get(r).getCurrent());
          quietSince = System.currentTimeMillis();
        }
      }
    }
    readers.forEach(r -> {
      try {
        r.close();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    List<String> values = new ArrayList<>();
    got.forEach(list -> list.forEach(m -> values.add(new String(m.value(), StandardCharsets.UTF_8))));
    Set<String> keysOfFirst = new HashSet<>();
    got.get(0).forEach(m -> keysOfFirst.add(m.key()));
    Set<String> keysOfSecond = new HashSet<>();
    got.get(1).forEach(m -> keysOfSecond.add(m.key()));
    System.out.printf("Key_Shared: reader 0 got %d messages of %d keys, reader 1 got %d of %d keys%n", got.get(0).size(),
        keysOfFirst.size(), got.get(1).size(), keysOfSecond.size());
    assertThat(values).hasSize(n).doesNotHaveDuplicates();
    assertThat(got.get(0)).isNotEmpty();
    assertThat(got.get(1)).isNotEmpty();
    assertThat(keysOfFirst).as("keys read by both readers").doesNotContainAnyElementsOf(keysOfSecond);
  }

  /** Starts the reader and returns its messages until nothing came for {@code quietMillis}. */
  static List<PulsarMessage> readMessages(PulsarUnboundedReader reader, long quietMillis) throws Exception {
    List<PulsarMessage> out = new ArrayList<>();
    boolean available = reader.start();
    long lastMessage = System.currentTimeMillis();
    while (System.currentTimeMillis() - lastMessage < quietMillis) {
      if (available) {
        out.add(reader.getCurrent());
        lastMessage = System.currentTimeMillis();
      } else {
        Thread.sleep(10);
      }
      available = reader.advance();
    }
    return out;
  }

  @Test
  void aSharedSubscriptionSpreadsOverReadersAndAPatternFollowsMatchingTopics(LocalStack stack) throws Exception {
    String prefix = "pattern-" + java.util.UUID.randomUUID().toString().substring(0, 6);
    String a = stack.pulsarTopic("ingest", prefix + "-a");
    String b = stack.pulsarTopic("ingest", prefix + "-b");
    String other = stack.pulsarTopic("ingest", "not-" + prefix);
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      produce(client, a, 300, false);
      produce(client, b, 300, false);
      produce(client, other, 50, false);
    }
    Pipeline pipeline = PulsarTestSupport.streamingPipeline();
    collect(pipeline.apply(AstraStreamingIO.read().withConnection(PulsarTestSupport.connection(stack))
        .withTopicsPattern(stack.pulsarTopic("ingest", prefix + "-.*")).withSubscription("shared")
        .withSubscriptionType(org.apache.pulsar.client.api.SubscriptionType.Shared).withReaders(2)
        .withStartFromEarliest(true)), "pattern");
    PipelineResult result = pipeline.run();
    awaitCollected("pattern", 600, 60);
    Thread.sleep(2000);
    result.cancel();
    List<PulsarMessage> messages = collected("pattern");
    assertThat(messages).hasSize(600);
    assertThat(messages).extracting(PulsarMessage::topic).containsOnly(a, b);
    assertThat(messages).extracting(m -> m.topic() + new String(m.value(), StandardCharsets.UTF_8)).doesNotHaveDuplicates();
  }

  @Test
  void aNewSubscriptionStartsAtATimestampAndReportsItsBacklog(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "ingest", "from-time");
    Instant middle;
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      produce(client, topic, 20, false);
      Thread.sleep(1500);
      middle = Instant.now();
      Thread.sleep(1500);
      produce(client, topic, 30, false);
    }
    var options = PipelineOptionsFactory.create();
    PulsarUnboundedSource split = new PulsarUnboundedSource(read(stack, topic, "from-time")
        .withStartTimestamp(middle), null, 0).split(1, options).get(0);
    PulsarUnboundedReader reader = split.createReader(options, null);
    List<String> read = readAll(reader, 2000);
    assertThat(read).as("only what was published after the start time").hasSize(30);
    assertThat(reader.getSplitBacklogBytes()).as("backlog from the admin API: 30 unacknowledged messages")
        .isGreaterThan(0);
    reader.getCheckpointMark().finalizeCheckpoint();
    reader.close();
  }

  @Test
  void configurationErrorsNameTheMethod() {
    Pipeline pipeline = PulsarTestSupport.batchPipeline();
    assertThatThrownBy(() -> pipeline.apply(AstraStreamingIO.read())).hasMessageContaining("withConnection() is required");
    assertThatThrownBy(() -> AstraStreamingIO.read().withTopics(List.of("a")).withTopicsPattern("b.*"))
        .hasMessageContaining("topics are already set");
    assertThatThrownBy(() -> PulsarConnection.of("http://x")).hasMessageContaining("expected pulsar+ssl://host:port");
  }

  static List<String> readN(PulsarUnboundedReader reader, int n) throws Exception {
    List<String> out = new ArrayList<>();
    boolean available = reader.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.size() < n && System.nanoTime() < deadline) {
      if (available) {
        out.add(new String(reader.getCurrent().value(), StandardCharsets.UTF_8));
        if (out.size() == n) {
          break;
        }
      } else {
        Thread.sleep(10);
      }
      available = reader.advance();
    }
    return out;
  }

  static List<String> readAll(PulsarUnboundedReader reader, long quietMillis) throws Exception {
    return readAll(reader, quietMillis, reader.start());
  }

  static List<String> readAll(PulsarUnboundedReader reader, long quietMillis, boolean available) throws Exception {
    List<String> out = new ArrayList<>();
    long lastMessage = System.currentTimeMillis();
    while (System.currentTimeMillis() - lastMessage < quietMillis) {
      if (available) {
        out.add(new String(reader.getCurrent().value(), StandardCharsets.UTF_8));
        lastMessage = System.currentTimeMillis();
      } else {
        Thread.sleep(10);
      }
      available = reader.advance();
    }
    return out;
  }

  static String stackTrace(Throwable e) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }
}
