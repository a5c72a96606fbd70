package dev.astrabridge.bridge.options;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** --mode=mirror: Pub/Sub ↔ Astra Streaming relay. */
public interface MirrorOptions extends PipelineOptions {
  @Description("Routes, comma separated, each SOURCE->TARGET: projects/P/subscriptions/S->persistent://tenant/ns/topic"
      + " (Pub/Sub to Pulsar) or persistent://tenant/ns/topic->projects/P/topics/T (Pulsar to Pub/Sub). Pattern form"
      + " (Pulsar to Pub/Sub): persistent://tenant/ns/orders-(.*)->projects/P/topics/mirror-$1 reads every matching"
      + " topic and publishes to the topic named by the replacement")
  List<String> getMirrorRoutes();

  void setMirrorRoutes(List<String> value);

  @Description("Which routes run: both, pubsub-to-pulsar or pulsar-to-pubsub (a route of another direction is an error)")
  @Default.String("both")
  @TemplateRegex("^(both|pubsub-to-pulsar|pulsar-to-pubsub)$")
  String getMirrorDirection();

  void setMirrorDirection(String value);

  @Description("This bridge's id, written into every relayed message's astra-bridge.path; a message whose path already"
      + " holds it is not relayed again (loop guard). Give each bridge of a topology its own id")
  @Default.String("astra-bridge")
  @TemplateRegex("^[A-Za-z0-9._-]{1,64}$")
  String getBridgeId();

  void setBridgeId(String value);

  @Description("A message that already crossed this many bridges is not relayed (second loop guard, for topologies"
      + " where bridges relay each other's messages)")
  @Default.Integer(4)
  Integer getMirrorMaxHops();

  void setMirrorMaxHops(Integer value);

  @Description("Pub/Sub attribute carrying the event time (RFC 3339 or epoch ms) both ways: read into the Pulsar"
      + " eventTime, written from it")
  @Default.String("event_time")
  String getMirrorEventTimeAttribute();

  void setMirrorEventTimeAttribute(String value);

  @Description("Pulsar properties Pub/Sub cannot carry (over 100, key over 256 bytes, value over 1024 bytes):"
      + " dead-letter (the message goes to --deadLetter with the reason) or pack (they travel as one JSON attribute"
      + " astra-bridge.overflow when that fits in 1024 bytes, else dead-letter)")
  @Default.String("dead-letter")
  @TemplateRegex("^(dead-letter|pack)$")
  String getMirrorAttributeOverflow();

  void setMirrorAttributeOverflow(String value);

  @Description("Pub/Sub to Pulsar effectively-once: sequence ids per shard, sent only after the runner checkpointed"
      + " them, deduplicated by the broker (enable deduplication on the namespace). Adds up to one checkpoint interval"
      + " of latency; false: at-least-once, duplicates carry the same astra-bridge.origin-id")
  @Default.Boolean(true)
  Boolean getMirrorEffectivelyOnce();

  void setMirrorEffectivelyOnce(Boolean value);

  @Description("Pub/Sub to Pulsar: shards (named producers) per route; messages of one ordering key share a shard")
  @Default.Integer(4)
  Integer getMirrorShards();

  void setMirrorShards(Integer value);

  @Description("Pub/Sub to Pulsar: how long a message with an ordering key waits at most to be put back in publish"
      + " order. It normally leaves when the source watermark passes its publish time (PubsubIO's trails by up to a"
      + " minute); this bound is for a watermark that stopped (a reader that got nothing holds it for good). Messages"
      + " of one key reaching the job further apart than 3/4 of it may leave out of order (counted in"
      + " mirror_order_late); a short bound buys latency with order. A duration: 30s, 2m")
  @Default.String("2m")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getMirrorOrderMaxWait();

  void setMirrorOrderMaxWait(String value);
}
