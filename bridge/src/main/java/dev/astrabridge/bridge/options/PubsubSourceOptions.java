package dev.astrabridge.bridge.options;

import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** Pub/Sub source (the emulator too, through --pubsubRootUrl). */
public interface PubsubSourceOptions extends PubsubOptions {
  @Description("Subscription to read, e.g. projects/my-project/subscriptions/orders-sub")
  @TemplateRegex("^projects/[^/]+/subscriptions/[^/]+$")
  String getPubsubSubscription();

  void setPubsubSubscription(String value);

  @Description("Attribute holding a unique message id set by the publisher (used for deduplication), e.g. event_id")
  String getPubsubIdAttribute();

  void setPubsubIdAttribute(String value);

  @Description("Attribute holding the event time (RFC 3339 or epoch ms), e.g. event_time; unset: publish time")
  String getPubsubTimestampAttribute();

  void setPubsubTimestampAttribute(String value);

  @Description("Off Dataflow (Flink, DirectRunner): after this long without messages a Pub/Sub reader's watermark"
      + " follows the clock, e.g. 10s (Beam's reader alone waits for a first message, then a whole minute of quiet)."
      + " Dataflow's own source ignores it")
  @Default.String("10s")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getPubsubIdleTimeout();

  void setPubsubIdleTimeout(String value);
}
