package dev.astrabridge.bridge.pubsub;

import com.google.auto.value.AutoValue;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubIO;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesAndMessageIdAndOrderingKeyCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessages;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Reads a Pub/Sub subscription — payload, attributes, message id and ordering key, timestamped with the publish
 * time, acknowledged when the runner finalizes a checkpoint holding the message — with Beam's PubsubIO.
 *
 * <p>On the DataflowRunner this is PubsubIO as it is: the service replaces it with its own source. On the other
 * runners (Flink, the DirectRunner) Beam's reader runs inside an {@link IdleAwareSource}, so that a reader that has
 * received nothing for {@link #withIdleTimeout} lets the watermark follow the clock — instead of holding the whole
 * job's event time at the beginning of time until it gets a first message, and a minute behind after a burst (see
 * that class).
 */
@AutoValue
public abstract class PubsubRead extends PTransform<PBegin, PCollection<PubsubMessage>> {
  private static final long serialVersionUID = 1L;

  /** Reads {@code projects/P/subscriptions/S}. */
  public static PubsubRead fromSubscription(String subscription) {
    return new AutoValue_PubsubRead.Builder().setSubscription(subscription).setIdleTimeout(Duration.standardSeconds(10))
        .build();
  }

  abstract String getSubscription();

  abstract @Nullable String getIdAttribute();

  abstract Duration getIdleTimeout();

  abstract Builder toBuilder();

  /** The attribute holding a publisher-set unique id: the runner deduplicates by it instead of the message id. */
  public PubsubRead withIdAttribute(@Nullable String attribute) {
    return toBuilder().setIdAttribute(attribute).build();
  }

  /**
   * Off Dataflow: how long a reader that receives nothing waits before its watermark follows the clock (10 s by
   * default).
   */
  public PubsubRead withIdleTimeout(Duration idleTimeout) {
    if (idleTimeout == null || idleTimeout.getMillis() < 1) {
      throw new IllegalArgumentException("PubsubRead.withIdleTimeout(" + idleTimeout + "): more than 0, e.g. 10s");
    }
    return toBuilder().setIdleTimeout(idleTimeout).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSubscription(String subscription);

    abstract Builder setIdAttribute(@Nullable String attribute);

    abstract Builder setIdleTimeout(Duration idleTimeout);

    abstract PubsubRead build();
  }

  private PubsubIO.Read<PubsubMessage> pubsubIo() {
    PubsubIO.Read<PubsubMessage> read = PubsubIO.readMessagesWithAttributesAndMessageIdAndOrderingKey()
        .fromSubscription(getSubscription());
    return getIdAttribute() == null ? read : read.withIdAttribute(getIdAttribute());
  }

  @Override
  public PCollection<PubsubMessage> expand(PBegin begin) {
    PipelineOptions options = begin.getPipeline().getOptions();
    if (options.getRunner() != null && options.getRunner().getSimpleName().equals("DataflowRunner")) {
      // expanded in place, not applied as a step of its own: the steps keep the names a running job has (--update)
      return pubsubIo().expand(begin);
    }
    return begin.apply("Pull", Read.from(new IdleAwareSource<>(beamSource(pubsubIo()), getIdleTimeout())))
        .apply("To message", MapElements.into(TypeDescriptor.of(PubsubMessage.class)).via(new Parse()))
        .setCoder(PubsubMessageWithAttributesAndMessageIdAndOrderingKeyCoder.of());
  }

  /**
   * The unbounded source Beam's PubsubIO builds for this read (its class is not public): expanded into a pipeline
   * that is never run, and taken from its Read step.
   */
  @SuppressWarnings("unchecked")
  static UnboundedSource<byte[], UnboundedSource.CheckpointMark> beamSource(PubsubIO.Read<PubsubMessage> read) {
    Pipeline scratch = Pipeline.create(PipelineOptionsFactory.create());
    scratch.apply(read);
    AtomicReference<UnboundedSource<?, ?>> found = new AtomicReference<>();
    scratch.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
        if (node.getTransform() instanceof Read.Unbounded) {
          found.compareAndSet(null, ((Read.Unbounded<?>) node.getTransform()).getSource());
          return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
        }
        return CompositeBehavior.ENTER_TRANSFORM;
      }

      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        if (node.getTransform() instanceof Read.Unbounded) {
          found.compareAndSet(null, ((Read.Unbounded<?>) node.getTransform()).getSource());
        }
      }
    });
    UnboundedSource<?, ?> source = found.get();
    if (source == null || !byte[].class.equals(source.getOutputCoder().getEncodedTypeDescriptor().getRawType())) {
      throw new IllegalStateException("PubsubIO of this Beam version no longer reads through an unbounded source of"
          + " serialized messages (found " + source + "); PubsubRead needs a change");
    }
    return (UnboundedSource<byte[], UnboundedSource.CheckpointMark>) source;
  }

  /** Beam's reader emits each received message as its serialized protobuf (with attributes, id and ordering key). */
  private static final class Parse implements SerializableFunction<byte[], PubsubMessage> {
    private static final long serialVersionUID = 1L;

    @Override
    public PubsubMessage apply(byte[] bytes) {
      try {
        return PubsubMessages.fromProto(com.google.pubsub.v1.PubsubMessage.parseFrom(bytes));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("Beam's Pub/Sub reader emitted a record that is not a Pub/Sub message", e);
      }
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    builder.add(DisplayData.item("subscription", getSubscription()))
        .addIfNotNull(DisplayData.item("idAttribute", getIdAttribute()))
        .add(DisplayData.item("idleTimeout", getIdleTimeout().toString()));
  }
}
