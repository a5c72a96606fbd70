package dev.astrabridge.bridge.mirror;

import dev.astrabridge.bridge.deadletter.DeadLetterSink;
import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import dev.astrabridge.bridge.pubsub.PubsubConnection;
import dev.astrabridge.bridge.pubsub.PubsubRead;
import dev.astrabridge.bridge.pubsub.PubsubWrite;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.bridge.pulsar.PulsarPositions;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The mirror job: Pub/Sub ↔ Astra Streaming, one branch per route of --mirrorRoutes, both directions in one job.
 *
 * <pre>
 * Steps per route (stable names: they hold the route's short names, so an unchanged route keeps its state on --update)
 *   "Mirror SOURCE to TARGET" (last path segments, e.g. "Mirror orders-sub to orders")
 *     Pub/Sub → Pulsar: "Read" (ack on checkpoint) → "Relay" (loop guard, headers) → "Shard" (by ordering key)
 *                       → "Order and sequence" (publish order back, ids in state; "Order" when at-least-once)
 *                       → "Key by shard" → "Send order" (each shard's ids in order; stable input)
 *                       → "Send" (named producers; broker deduplication)
 *     Pulsar → Pub/Sub: "Read" (durable subscription, ack on checkpoint) → "Relay" (loop guard, headers, limits)
 *                       → "Publish" (ordering keys; the bundle waits for every acknowledgement)
 * "Dead letters"        messages that cannot be carried → --deadLetter
 * </pre>
 * A source message is acknowledged only after the runner checkpointed the bundle that published it, so nothing is
 * lost; the loop guard ({@link MirrorHeaders#PATH}) keeps a message from coming back across the same bridge.
 */
public final class MirrorPipeline {

  public static void build(Pipeline pipeline, BridgeOptions options, Settings settings) {
    List<PCollection<DeadLetter>> deadLetters = new ArrayList<>();
    for (MirrorRoute route : settings.mirrorRoutes) {
      PBegin begin = pipeline.begin();
      String name = "Mirror " + route.shortName();
      deadLetters.add(route.direction == MirrorRoute.Direction.PUBSUB_TO_PULSAR
          ? begin.apply(name, new PubsubToPulsar(route, options, settings))
          : begin.apply(name, new PulsarToPubsub(route, options, settings)));
    }
    PCollectionList.of(deadLetters).apply("All dead letters", Flatten.pCollections())
        .apply("Dead letters", new DeadLetterSink(settings.deadLetter, settings.pulsar, settings.astraDb));
  }

  static final class PubsubToPulsar extends org.apache.beam.sdk.transforms.PTransform<PBegin, PCollection<DeadLetter>> {
    private final MirrorRoute route;
    private final BridgeOptions options;
    private final Settings settings;

    PubsubToPulsar(MirrorRoute route, BridgeOptions options, Settings settings) {
      this.route = route;
      this.options = options;
      this.settings = settings;
    }

    @Override
    public PCollection<DeadLetter> expand(PBegin begin) {
      PCollectionTuple relayed = begin
          .apply("Read", PubsubRead.fromSubscription(route.source).withIdleTimeout(settings.pubsubIdleTimeout))
          .apply("Relay", ParDo.of(new Relay.FromPubsub(route.source, options.getBridgeId(), options.getMirrorMaxHops(),
              options.getMirrorEventTimeAttribute(), meters(route, options)))
              .withOutputTags(Relay.RELAYED, TupleTagList.empty()));
      PCollection<BridgeMessage> toSend = relayed.get(Relay.RELAYED).setCoder(AvroCoder.of(BridgeMessage.class));
      AstraStreamingIO.Write write = AstraStreamingIO.write().withConnection(settings.pulsar).withTopic(route.target)
          .withMeters(meters(route, options));
      boolean effectivelyOnce = Boolean.TRUE.equals(options.getMirrorEffectivelyOnce());
      int shards = options.getMirrorShards();
      toSend = toSend
          .apply("Shard", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptor.of(BridgeMessage.class)))
              .via((SerializableFunction<BridgeMessage, KV<Integer, BridgeMessage>>) m -> KV.of(Math.floorMod(
                  String.valueOf(m.getKey() != null ? m.getKey() : m.getMessageId()).hashCode(), shards), m)))
          .setCoder(KvCoder.of(VarIntCoder.of(), AvroCoder.of(BridgeMessage.class)))
          .apply(effectivelyOnce ? "Order and sequence" : "Order", ParDo.of(new Sequencer(shardPrefix(route.source),
              effectivelyOnce, settings.mirrorOrderMaxWait, meters(route, options))))
          .setCoder(AvroCoder.of(BridgeMessage.class));
      if (effectivelyOnce) {
        // the writer needs each shard's ids in order (the broker drops a lower id after a higher one); this step's
        // stable input makes a replay re-emit the same order, so the writer needs none of its own
        toSend = toSend
            .apply("Key by shard", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(),
                    TypeDescriptor.of(BridgeMessage.class)))
                .via((SerializableFunction<BridgeMessage, KV<String, BridgeMessage>>) m -> KV.of(String.valueOf(
                    m.getShard()), m)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(BridgeMessage.class)))
            .apply("Send order", ParDo.of(new SendOrder(meters(route, options))))
            .setCoder(AvroCoder.of(BridgeMessage.class));
        write = write.withEffectivelyOnce(options.getBridgeId());
      }
      return toSend.apply("Send", write);
    }
  }

  /** The route's meters ({@link MirrorRoute#meters()}), exposed on --prometheusPort when set. */
  static StageMeters meters(MirrorRoute route, BridgeOptions options) {
    return route.meters().withPrometheusPort(options.getPrometheusPort());
  }

  /** The subscription's short name, a valid producer-name part: shards of different routes never share a name. */
  static String shardPrefix(String subscription) {
    return subscription.substring(subscription.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_") + "-";
  }

  static final class PulsarToPubsub extends org.apache.beam.sdk.transforms.PTransform<PBegin, PCollection<DeadLetter>> {
    private final MirrorRoute route;
    private final BridgeOptions options;
    private final Settings settings;

    PulsarToPubsub(MirrorRoute route, BridgeOptions options, Settings settings) {
      this.route = route;
      this.options = options;
      this.settings = settings;
    }

    @Override
    public PCollection<DeadLetter> expand(PBegin begin) {
      AstraStreamingIO.Read read = AstraStreamingIO.read().withConnection(settings.pulsar)
          .withSubscription(options.getPulsarSubscription())
          .withSubscriptionType(settings.subscriptionType)
          .withStartFromEarliest(settings.startFromEarliest)
          .withIdleTimeout(settings.pulsarIdleTimeout)
          .withSplitOnWorkers(settings.pulsarSplitOnWorkers);
      read = route.pattern ? read.withTopicsPattern(route.source) : read.withTopics(List.of(route.source));
      if (settings.startTimestamp != null) {
        read = read.withStartTimestamp(settings.startTimestamp);
      }
      PCollectionTuple relayed = begin.apply("Read", read)
          .apply("Relay", ParDo.of(new Relay.FromPulsar(options.getBridgeId(), options.getMirrorMaxHops(),
              "pack".equalsIgnoreCase(options.getMirrorAttributeOverflow()), meters(route, options)))
              .withOutputTags(Relay.RELAYED, TupleTagList.of(Relay.DEAD)));
      MirrorRoute r = route;
      PubsubWrite publish = route.pattern
          ? PubsubWrite.toDynamic(m -> r.targetFor(m.getSource().substring(PulsarPositions.SOURCE_PREFIX.length())),
              route.target)
          : PubsubWrite.to(route.target);
      PCollection<DeadLetter> failed = relayed.get(Relay.RELAYED).setCoder(AvroCoder.of(BridgeMessage.class))
          .apply("Publish", publish.withConnection(PubsubConnection.fromRootUrl(options.getPubsubRootUrl()))
              .withEventTimeAttribute(options.getMirrorEventTimeAttribute())
              .withMeters(meters(route, options)));
      return PCollectionList.of(relayed.get(Relay.DEAD).setCoder(AvroCoder.of(DeadLetter.class))).and(failed)
          .apply("Dead letters of the route", Flatten.pCollections());
    }
  }

  private MirrorPipeline() {}
}
