package dev.astrabridge.bridge.pulsar;

import com.google.auto.value.AutoValue;
import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.pulsar.client.api.CompressionType;
import org.apache.pulsar.client.api.SubscriptionType;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Beam IO for DataStax Astra Streaming and any Apache Pulsar, on pulsar-client 4.x (named so it does not clash
 * with Beam's own PulsarIO, which cannot serve Astra Streaming: no subscription, no acknowledgements, no auth on
 * its admin client).
 *
 * <pre>{@code
 * PulsarConnection astra = PulsarConnection.of("pulsar+ssl://pulsar-gcp-useast1.streaming.datastax.com:6651")
 *     .withToken(SecretRef.of("projects/p/secrets/astra-streaming-token/versions/latest"));
 * PCollection<PulsarMessage> messages = pipeline.apply(AstraStreamingIO.read()
 *     .withConnection(astra).withTopics(List.of("persistent://tenant/ns/orders")).withSubscription("bridge"));
 * messages.apply(AstraStreamingIO.toBridgeMessages()).apply(AstraStreamingIO.write()
 *     .withConnection(astra).withTopic("persistent://tenant/ns/orders-copy").withEffectivelyOnce("bridge-1"));
 * }</pre>
 */
public final class AstraStreamingIO {
  /** The envelope attribute carrying a message's registered schema version (see {@link #toBridgeMessages}). */
  public static final String SCHEMA_VERSION_ATTRIBUTE = "astra-bridge.schema-version";

  public static Read read() {
    return new AutoValue_AstraStreamingIO_Read.Builder()
        .setTopics(List.of())
        .setSubscriptionType(SubscriptionType.Failover)
        .setStartFromEarliest(false)
        .setReaders(0)
        .setReceiverQueueSize(1000)
        .setNegativeAckRedeliveryDelay(Duration.standardMinutes(1))
        .setMaxRedeliverCount(16)
        .setIdleTimeout(Duration.standardSeconds(10))
        .setRunnerDeduplication(false)
        .setMaxNumRecords(Long.MAX_VALUE)
        .setPollTimeout(Duration.millis(10))
        .setSplitOnWorkers(false)
        .build();
  }

  public static Write write() {
    return new AutoValue_AstraStreamingIO_Write.Builder()
        .setBatchingMaxPublishDelay(Duration.millis(1))
        .setBatchingMaxMessages(1000)
        .setMaxPendingMessages(10_000)
        .setCompression(CompressionType.NONE)
        .setSendTimeout(Duration.standardSeconds(30))
        .setMaxAttempts(3)
        .setStableInput(false)
        .build();
  }

  /** PulsarMessage → the broker-agnostic envelope (payload untouched; properties become attributes). */
  public static PTransform<PCollection<PulsarMessage>, PCollection<BridgeMessage>> toBridgeMessages() {
    return toBridgeMessages(null, false);
  }

  /**
   * {@link #toBridgeMessages()} counting each message as {@code received} in {@code meters} (if not null); with
   * {@code schemaVersions}, a message produced with the topic's registered schema gets its version as the attribute
   * {@link #SCHEMA_VERSION_ATTRIBUTE} (what a decoder of registered schemas needs).
   */
  public static PTransform<PCollection<PulsarMessage>, PCollection<BridgeMessage>> toBridgeMessages(
      @Nullable StageMeters meters, boolean schemaVersions) {
    StageMeters.Count received = meters == null ? null : meters.counter("received");
    return new PTransform<>() {
      @Override
      public PCollection<BridgeMessage> expand(PCollection<PulsarMessage> input) {
        return input.apply("To envelope", MapElements.via(new SimpleFunction<PulsarMessage, BridgeMessage>() {
          @Override
          public BridgeMessage apply(PulsarMessage m) {
            if (received != null) {
              received.inc(); // runs inside the Map step's processElement: Beam's metrics container is there
            }
            BridgeMessage envelope = toBridgeMessage(m);
            if (schemaVersions && m.schemaVersion() >= 0) {
              Map<String, String> attributes = new java.util.HashMap<>(envelope.getAttributes());
              attributes.put(SCHEMA_VERSION_ATTRIBUTE, Long.toString(m.schemaVersion()));
              envelope.setAttributes(attributes);
            }
            return envelope;
          }
        })).setCoder(AvroCoder.of(BridgeMessage.class));
      }
    };
  }

  public static BridgeMessage toBridgeMessage(PulsarMessage m) {
    // the all-arguments constructor: the builder resolves (deep-copies) the schema default of every unset field, a
    // measurable share of a mirror worker's CPU
    return new BridgeMessage(ByteBuffer.wrap(m.value()), m.key(),
        m.orderingKey() == null ? null : new String(m.orderingKey(), StandardCharsets.UTF_8),
        m.properties() /* unmodifiable */, m.messageIdString(),
        m.eventTime() > 0 ? java.time.Instant.ofEpochMilli(m.eventTime()) : null,
        java.time.Instant.ofEpochMilli(m.publishTime()), PulsarPositions.SOURCE_PREFIX + m.topic(),
        null, null, false);
  }

  /**
   * Unbounded read through a durable subscription: a restarted or updated job resumes where it stopped, and a
   * message is acknowledged only when the runner finalizes the checkpoint that covers its output (on Flink: when the
   * checkpoint completes — so enable checkpointing). Output timestamps are event times (the producer's event time,
   * else the publish time, or {@link Read#withTimestampFn}).
   */
  @AutoValue
  public abstract static class Read extends PTransform<PBegin, PCollection<PulsarMessage>> {
    private static final long serialVersionUID = 1L;

    abstract @Nullable PulsarConnection connection();

    abstract List<String> topics();

    abstract @Nullable String topicsPattern();

    abstract @Nullable String subscription();

    abstract SubscriptionType subscriptionType();

    abstract boolean startFromEarliest();

    abstract @Nullable Instant startTimestamp();

    abstract int readers();

    abstract int receiverQueueSize();

    abstract @Nullable Duration ackTimeout();

    abstract Duration negativeAckRedeliveryDelay();

    abstract @Nullable String deadLetterTopic();

    abstract int maxRedeliverCount();

    abstract Duration idleTimeout();

    abstract @Nullable SerializableFunction<PulsarMessage, Instant> timestampFn();

    abstract boolean runnerDeduplication();

    abstract long maxNumRecords();

    abstract Duration pollTimeout();

    abstract boolean splitOnWorkers();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setConnection(PulsarConnection v);

      abstract Builder setTopics(List<String> v);

      abstract Builder setTopicsPattern(String v);

      abstract Builder setSubscription(String v);

      abstract Builder setSubscriptionType(SubscriptionType v);

      abstract Builder setStartFromEarliest(boolean v);

      abstract Builder setStartTimestamp(Instant v);

      abstract Builder setReaders(int v);

      abstract Builder setReceiverQueueSize(int v);

      abstract Builder setAckTimeout(Duration v);

      abstract Builder setNegativeAckRedeliveryDelay(Duration v);

      abstract Builder setDeadLetterTopic(String v);

      abstract Builder setMaxRedeliverCount(int v);

      abstract Builder setIdleTimeout(Duration v);

      abstract Builder setTimestampFn(SerializableFunction<PulsarMessage, Instant> v);

      abstract Builder setRunnerDeduplication(boolean v);

      abstract Builder setMaxNumRecords(long v);

      abstract Builder setPollTimeout(Duration v);

      abstract Builder setSplitOnWorkers(boolean v);

      abstract Read build();
    }

    public Read withConnection(PulsarConnection connection) {
      return toBuilder().setConnection(Objects.requireNonNull(connection)).build();
    }

    /** Topics (partitioned or not): persistent://tenant/namespace/topic. */
    public Read withTopics(List<String> topics) {
      if (topicsPattern() != null) {
        throw new IllegalArgumentException("withTopics: a topics pattern is already set; use one or the other");
      }
      if (topics.isEmpty()) {
        throw new IllegalArgumentException("withTopics: at least one topic");
      }
      return toBuilder().setTopics(List.copyOf(topics)).build();
    }

    /** A regular expression over topics of one namespace, e.g. persistent://tenant/ns/orders-.* . */
    public Read withTopicsPattern(String pattern) {
      if (!topics().isEmpty()) {
        throw new IllegalArgumentException("withTopicsPattern: topics are already set; use one or the other");
      }
      return toBuilder().setTopicsPattern(Objects.requireNonNull(pattern)).build();
    }

    public Read withSubscription(String subscription) {
      if (subscription == null || subscription.isBlank()) {
        throw new IllegalArgumentException("withSubscription: a subscription name is required");
      }
      return toBuilder().setSubscription(subscription).build();
    }

    /** Failover (default: ordered per partition, one split per partition), Exclusive, Shared or Key_Shared. */
    public Read withSubscriptionType(SubscriptionType type) {
      return toBuilder().setSubscriptionType(Objects.requireNonNull(type)).build();
    }

    /** Where a NEW subscription starts: earliest (true) or latest (false, Pulsar's default). */
    public Read withStartFromEarliest(boolean earliest) {
      return toBuilder().setStartFromEarliest(earliest).build();
    }

    /** A new subscription starts at this publish time (needs the admin URL); an existing one resumes. */
    public Read withStartTimestamp(Instant timestamp) {
      return toBuilder().setStartTimestamp(Objects.requireNonNull(timestamp)).build();
    }

    /** Shared / Key_Shared: how many readers (splits) consume the subscription (0: the runner's choice). */
    public Read withReaders(int readers) {
      return toBuilder().setReaders(readers).build();
    }

    public Read withReceiverQueueSize(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("withReceiverQueueSize: must be positive, got " + size);
      }
      return toBuilder().setReceiverQueueSize(size).build();
    }

    /** Redeliver messages not acknowledged within this time (keep it above the checkpoint interval). */
    public Read withAckTimeout(Duration timeout) {
      return toBuilder().setAckTimeout(timeout).build();
    }

    public Read withNegativeAckRedeliveryDelay(Duration delay) {
      return toBuilder().setNegativeAckRedeliveryDelay(delay).build();
    }

    /** Pulsar's consumer dead-letter policy, passed through. */
    public Read withDeadLetterPolicy(String deadLetterTopic, int maxRedeliverCount) {
      return toBuilder().setDeadLetterTopic(deadLetterTopic).setMaxRedeliverCount(maxRedeliverCount).build();
    }

    /** After this long without messages a split's watermark follows the clock (default 10 s). */
    public Read withIdleTimeout(Duration idleTimeout) {
      return toBuilder().setIdleTimeout(idleTimeout).build();
    }

    public Read withTimestampFn(SerializableFunction<PulsarMessage, Instant> fn) {
      return toBuilder().setTimestampFn(fn).build();
    }

    /** Let the runner drop redeliveries by message id (Dataflow, Flink: bounded-time dedup). */
    public Read withRunnerDeduplication(boolean dedup) {
      return toBuilder().setRunnerDeduplication(dedup).build();
    }

    /** How long advance() waits for a message when the receive queue is empty (default 10 ms; 0: never). */
    public Read withPollTimeout(Duration pollTimeout) {
      return toBuilder().setPollTimeout(pollTimeout).build();
    }

    /**
     * Split without contacting Pulsar; each reader finds its partitions on the worker. Dataflow splits unbounded
     * sources while it builds the job graph, i.e. in the Flex Template launcher, which then needs the broker and the
     * token; with this on, the launcher needs neither. The source makes {@link #withReaders} splits (0: the runner's
     * desired count) and reader {@code i} of {@code n} consumes every partition whose index is {@code i} modulo
     * {@code n} (Shared / Key_Shared: every reader consumes all topics). The price: a refused token or a missing
     * topic shows up as worker errors instead of failing the launch.
     */
    public Read withSplitOnWorkers(boolean onWorkers) {
      return toBuilder().setSplitOnWorkers(onWorkers).build();
    }

    /** Stop after this many messages (tests, benchmarks). */
    public Read withMaxNumRecords(long max) {
      return toBuilder().setMaxNumRecords(max).build();
    }

    String describeTopics() {
      return topicsPattern() != null ? "pattern " + topicsPattern() : String.join(", ", topics());
    }

    @Override
    public PCollection<PulsarMessage> expand(PBegin input) {
      if (connection() == null) {
        throw new IllegalArgumentException("AstraStreamingIO.read(): withConnection() is required");
      }
      if (topics().isEmpty() && topicsPattern() == null) {
        throw new IllegalArgumentException("AstraStreamingIO.read(): withTopics() or withTopicsPattern() is required");
      }
      if (subscription() == null) {
        throw new IllegalArgumentException("AstraStreamingIO.read(): withSubscription() is required");
      }
      if (startTimestamp() != null && connection().adminUrl() == null) {
        throw new IllegalArgumentException("AstraStreamingIO.read(): withStartTimestamp() needs the admin URL"
            + " (PulsarConnection.withAdminUrl) to create the subscription at that time");
      }
      org.apache.beam.sdk.io.Read.Unbounded<PulsarMessage> read = org.apache.beam.sdk.io.Read.from(new PulsarUnboundedSource(this, null, 0));
      if (maxNumRecords() < Long.MAX_VALUE) {
        return input.apply("Read " + subscription(), read.withMaxNumRecords(maxNumRecords()));
      }
      return input.apply("Read " + subscription(), read);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      if (connection() != null) {
        connection().populateDisplayData(builder);
      }
      builder.add(DisplayData.item("topics", describeTopics()).withLabel("Topics"))
          .addIfNotNull(DisplayData.item("subscription", subscription()).withLabel("Subscription"))
          .add(DisplayData.item("subscriptionType", subscriptionType().name()).withLabel("Subscription type"))
          .add(DisplayData.item("idleTimeout", idleTimeout().toString()).withLabel("Idle timeout"));
    }
  }

  /**
   * Writes envelopes to one topic: payload, key, ordering key, attributes as properties, event time. One async
   * producer per worker and topic (per shard with effectively-once), batching, bounded pending messages; a bundle
   * ends only when the broker acknowledged every send. Failed sends are retried, then dead-lettered with the reason;
   * a message over the broker's size limit is dead-lettered at once.
   */
  @AutoValue
  public abstract static class Write extends PTransform<PCollection<BridgeMessage>, PCollection<DeadLetter>> {
    private static final long serialVersionUID = 1L;

    abstract @Nullable PulsarConnection connection();

    abstract @Nullable String topic();

    /** Non-null: effectively-once with producers named {@code <prefix>-<shard>}. */
    abstract @Nullable String producerNamePrefix();

    abstract Duration batchingMaxPublishDelay();

    abstract int batchingMaxMessages();

    abstract int maxPendingMessages();

    abstract CompressionType compression();

    abstract Duration sendTimeout();

    abstract int maxAttempts();

    abstract boolean stableInput();

    abstract @Nullable StageMeters meters();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setConnection(PulsarConnection v);

      abstract Builder setTopic(String v);

      abstract Builder setProducerNamePrefix(String v);

      abstract Builder setBatchingMaxPublishDelay(Duration v);

      abstract Builder setBatchingMaxMessages(int v);

      abstract Builder setMaxPendingMessages(int v);

      abstract Builder setCompression(CompressionType v);

      abstract Builder setSendTimeout(Duration v);

      abstract Builder setMaxAttempts(int v);

      abstract Builder setStableInput(boolean v);

      abstract Builder setMeters(StageMeters v);

      abstract Write build();
    }

    public Write withConnection(PulsarConnection connection) {
      return toBuilder().setConnection(Objects.requireNonNull(connection)).build();
    }

    public Write withTopic(String topic) {
      return toBuilder().setTopic(Objects.requireNonNull(topic)).build();
    }

    /**
     * Effectively-once: one producer per source shard, named {@code <prefix>-<shard>}, sending the sequence id
     * derived from the source position ({@link PulsarPositions}), so the broker's deduplication (enable it on the
     * namespace) discards replays after a restart. Needs the source order kept per shard (Failover or Exclusive
     * read, no reshuffle in between). Sends are then not retried inside the bundle: a failure fails the bundle and
     * the runner replays it — the broker drops what was already persisted.
     */
    public Write withEffectivelyOnce(String producerNamePrefix) {
      if (producerNamePrefix == null || !producerNamePrefix.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException("withEffectivelyOnce: producer name prefix '" + producerNamePrefix
            + "' must match [A-Za-z0-9._-]+ and be stable across job restarts");
      }
      return toBuilder().setProducerNamePrefix(producerNamePrefix).build();
    }

    /**
     * Send only input the runner has made durable ({@code @RequiresStableInput}: on Flink, elements wait for the next
     * completed checkpoint, so enable checkpointing; Dataflow checkpoints every step's output anyway). Needed with
     * effectively-once when the sequence ids were assigned by a stateful step upstream (a mirror from Pub/Sub):
     * a replay then carries the same ids. Costs up to one checkpoint interval of latency.
     */
    public Write withStableInput(boolean stable) {
      return toBuilder().setStableInput(stable).build();
    }

    /** Producer batching: the longest wait and most messages per batch (delay 0 disables batching). */
    public Write withBatching(Duration maxPublishDelay, int maxMessages) {
      return toBuilder().setBatchingMaxPublishDelay(maxPublishDelay).setBatchingMaxMessages(maxMessages).build();
    }

    /**
     * Sends in flight per producer (then {@code send} waits; default 10,000). Also bounds what a bundle keeps: once
     * twice this many of its sends are unsettled, the oldest are awaited, counted and set aside if they failed, so a
     * bundle as big as a whole partition (Flink batch) does not keep every message alive until it ends.
     */
    public Write withMaxPendingMessages(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("withMaxPendingMessages: at least 1, got " + max);
      }
      return toBuilder().setMaxPendingMessages(max).build();
    }

    public Write withCompression(CompressionType compression) {
      return toBuilder().setCompression(Objects.requireNonNull(compression)).build();
    }

    public Write withSendTimeout(Duration timeout) {
      return toBuilder().setSendTimeout(timeout).build();
    }

    /**
     * Where the counters (published, dead_lettered) and the relay latency (the element's source publish time → the
     * broker's acknowledgement) are recorded. Default: Beam namespace {@code pulsar:TOPIC}, Micrometer
     * {@code pulsar.*} tagged with the topic.
     */
    public Write withMeters(StageMeters meters) {
      return toBuilder().setMeters(Objects.requireNonNull(meters)).build();
    }

    StageMeters metersOrDefault() {
      return meters() != null ? meters() : StageMeters.of("pulsar:" + topic(), "pulsar", "topic", String.valueOf(topic()));
    }

    public Write withMaxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("withMaxAttempts: at least 1, got " + attempts);
      }
      return toBuilder().setMaxAttempts(attempts).build();
    }

    @Override
    public PCollection<DeadLetter> expand(PCollection<BridgeMessage> input) {
      if (connection() == null) {
        throw new IllegalArgumentException("AstraStreamingIO.write(): withConnection() is required");
      }
      if (topic() == null) {
        throw new IllegalArgumentException("AstraStreamingIO.write(): withTopic() is required");
      }
      TupleTag<Void> main = new TupleTag<Void>() {};
      TupleTag<DeadLetter> dead = new TupleTag<DeadLetter>() {};
      PCollectionTuple out = input.apply("Send to " + topic(), ParDo.of(PulsarWriteFn.of(this, dead))
          .withOutputTags(main, TupleTagList.of(dead)));
      out.get(main).setCoder(VoidCoder.of());
      return out.get(dead).setCoder(AvroCoder.of(DeadLetter.class));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      if (connection() != null) {
        connection().populateDisplayData(builder);
      }
      builder.addIfNotNull(DisplayData.item("topic", topic()).withLabel("Topic"))
          .add(DisplayData.item("effectivelyOnce", producerNamePrefix() != null).withLabel("Effectively-once"))
          .addIfNotNull(DisplayData.item("producerNamePrefix", producerNamePrefix()).withLabel("Producer name prefix"))
          .add(DisplayData.item("compression", compression().name()).withLabel("Compression"))
          .add(DisplayData.item("batchingMaxPublishDelay", batchingMaxPublishDelay().toString()).withLabel("Batching delay"));
    }
  }

  /**
   * Closes every consumer of this JVM at once, without acknowledging anything more: what a dying worker does.
   * For tests that kill and restart a job inside one JVM (otherwise the next job takes over the lingering consumers).
   */
  public static void closeConsumersOfThisJvm() {
    PulsarConsumers.closeAll();
  }

  private AstraStreamingIO() {}
}
