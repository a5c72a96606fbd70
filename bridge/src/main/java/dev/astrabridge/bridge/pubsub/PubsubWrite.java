package dev.astrabridge.bridge.pubsub;

import com.google.auto.value.AutoValue;
import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Publishes envelopes to Pub/Sub with Google's publisher client: payload untouched, attributes, the ordering key
 * (the envelope's ordering key, else its key) with message ordering on, and optionally the event time as an
 * attribute. One publisher per worker JVM and topic, batching; a bundle ends only when Pub/Sub acknowledged every
 * publish, so a source that acknowledges on checkpoint finalization is at-least-once end to end. A message over
 * Pub/Sub's limits, or still failing after the retries, goes to the dead-letter output with the reason.
 *
 * <p>Beam's own PubsubIO.write() is not used here: it reshuffles before publishing (losing per-key order), cannot
 * dead-letter one message, and hides the acknowledgement the mirror's latency metric needs.
 */
@AutoValue
public abstract class PubsubWrite extends PTransform<PCollection<BridgeMessage>, PCollection<DeadLetter>> {
  private static final long serialVersionUID = 1L;

  public static PubsubWrite to(String topic) {
    return builder().setTopic(checkTopic(topic)).build();
  }

  /** The topic per message, e.g. from the source topic of a pattern route. */
  public static PubsubWrite toDynamic(SerializableFunction<BridgeMessage, String> topicFn, String description) {
    return builder().setTopicFn(topicFn).setTopic(description).setDynamic(true).build();
  }

  private static Builder builder() {
    return new AutoValue_PubsubWrite.Builder()
        .setDynamic(false)
        .setConnection(PubsubConnection.google())
        .setOrdering(true)
        .setMaxAttempts(3)
        .setBatchingMaxMessages(1000)
        .setBatchingMaxDelay(Duration.millis(5))
        .setMeters(StageMeters.of("pubsub", "pubsub"))
        .setMaxUnsettled(10_000);
  }

  private static final Pattern TOPIC = Pattern.compile("projects/[^/]+/topics/[^/]+");

  static String checkTopic(String topic) {
    if (topic == null || !TOPIC.matcher(topic).matches()) {
      throw new IllegalArgumentException("Pub/Sub topic '" + topic + "': expected projects/PROJECT/topics/NAME");
    }
    return topic;
  }

  abstract PubsubConnection connection();

  /** The fixed topic, or a description of the dynamic one. */
  abstract String topic();

  abstract boolean dynamic();

  abstract @Nullable SerializableFunction<BridgeMessage, String> topicFn();

  abstract boolean ordering();

  abstract @Nullable String eventTimeAttribute();

  abstract int maxAttempts();

  abstract int batchingMaxMessages();

  abstract Duration batchingMaxDelay();

  abstract StageMeters meters();

  abstract int maxUnsettled();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setConnection(PubsubConnection v);

    abstract Builder setTopic(String v);

    abstract Builder setDynamic(boolean v);

    abstract Builder setTopicFn(SerializableFunction<BridgeMessage, String> v);

    abstract Builder setOrdering(boolean v);

    abstract Builder setEventTimeAttribute(String v);

    abstract Builder setMaxAttempts(int v);

    abstract Builder setBatchingMaxMessages(int v);

    abstract Builder setBatchingMaxDelay(Duration v);

    abstract Builder setMeters(StageMeters v);

    abstract Builder setMaxUnsettled(int v);

    abstract PubsubWrite build();
  }

  public PubsubWrite withConnection(PubsubConnection connection) {
    return toBuilder().setConnection(Objects.requireNonNull(connection)).build();
  }

  /** Publish with ordering keys and message ordering (default on): per-key order kept when subscribers ask for it. */
  public PubsubWrite withOrdering(boolean ordering) {
    return toBuilder().setOrdering(ordering).build();
  }

  /** Put the envelope's event time (RFC 3339) into this attribute unless the message already has it. */
  public PubsubWrite withEventTimeAttribute(String attribute) {
    return toBuilder().setEventTimeAttribute(attribute).build();
  }

  public PubsubWrite withMaxAttempts(int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("withMaxAttempts: at least 1, got " + attempts);
    }
    return toBuilder().setMaxAttempts(attempts).build();
  }

  /**
   * Publishes a bundle keeps unsettled (default 10,000): at twice this many the oldest are awaited, counted and set
   * aside if they failed (retried or dead-lettered when the bundle ends), so a bundle as big as a whole partition (an
   * export on Flink batch) does not keep every message until it ends. A mirror's bundles (up to 10,000) never wait.
   */
  public PubsubWrite withMaxUnsettled(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("withMaxUnsettled: at least 1, got " + max);
    }
    return toBuilder().setMaxUnsettled(max).build();
  }

  public PubsubWrite withBatching(int maxMessages, Duration maxDelay) {
    return toBuilder().setBatchingMaxMessages(maxMessages).setBatchingMaxDelay(maxDelay).build();
  }

  /**
   * Where the counters (published, dead_lettered) and the relay latency (source publish time → Pub/Sub's
   * acknowledgement) are recorded: Beam namespace and Micrometer name/tags.
   */
  public PubsubWrite withMeters(StageMeters meters) {
    return toBuilder().setMeters(meters).build();
  }

  SerializableFunction<BridgeMessage, String> resolveTopic() {
    if (dynamic()) {
      return Objects.requireNonNull(topicFn());
    }
    String fixed = topic();
    return m -> fixed;
  }

  @Override
  public PCollection<DeadLetter> expand(PCollection<BridgeMessage> input) {
    TupleTag<Void> main = new TupleTag<Void>() {};
    TupleTag<DeadLetter> dead = new TupleTag<DeadLetter>() {};
    PCollectionTuple out = input.apply("Publish to " + topic(), ParDo.of(new PubsubPublishFn(this, dead))
        .withOutputTags(main, TupleTagList.of(dead)));
    out.get(main).setCoder(VoidCoder.of());
    return out.get(dead).setCoder(AvroCoder.of(DeadLetter.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("topic", topic()).withLabel("Pub/Sub topic"))
        .add(DisplayData.item("endpoint", connection().toString()).withLabel("Pub/Sub endpoint"))
        .add(DisplayData.item("ordering", ordering()).withLabel("Message ordering"));
  }
}
